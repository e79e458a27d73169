using Lab.Engine;
using Lab.Esp.Sa;
using Lab.Models;
using Lab.Models.Path;

namespace Lab.Esp.Path;

/// <summary>
/// Asynchronous ESP decryption: a pool of crypto workers (cryptd queues or pcrypt's parallel
/// workers on other cores) taking packets in arrival order and finishing them after their
/// cipher time, so a large packet that started first can finish after a small one that
/// started later. When a packet's crypto completes, xfrm_input resumes: the ICV result, then
/// the replay recheck and advance on the SA. With <c>preserve_order</c> (pcrypt: padata
/// serialises the callbacks in submission order) completions are released in order.
/// </summary>
public sealed class EspCryptoEngine : IEventTarget, IPacketReceiver
{
    readonly SimulationContext _ctx;
    readonly int _id;
    readonly EspInputStage _input;
    readonly int _workers;
    readonly bool _preserveOrder;
    readonly RandomStream _rng;
    readonly double _jitter;
    readonly Queue<int> _waiting = new();
    readonly Dictionary<long, int> _finishedBySubmission = [];
    long[] _submissionOf = new long[1024];
    long _submitted, _released;
    int _busy;

    public EspCryptoEngine(SimulationContext ctx, string name, EspInputStage input, int workers, bool preserveOrder, double jitter)
    {
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _input = input;
        _workers = workers;
        _preserveOrder = preserveOrder;
        _jitter = jitter;
        _rng = ctx.Random("esp_crypto." + name);
        Name = name;
    }

    public string Name { get; }
    public IPacketReceiver Next { get; set; } = null!;

    public int QueueLength => _waiting.Count;

    public void Receive(int packet)
    {
        if (packet >= _submissionOf.Length) Array.Resize(ref _submissionOf, Math.Max(packet + 1, _submissionOf.Length * 2));
        _submissionOf[packet] = _submitted++;
        if (_busy < _workers) Start(packet);
        else _waiting.Enqueue(packet);
    }

    void Start(int packet)
    {
        _busy++;
        long t = _input.Config.Costs.Crypto(_ctx.Packets[packet].InnerBytes);
        if (_jitter > 0) t = (long)Math.Round(t * (1 + _jitter * _rng.Exponential(1)));
        _ctx.Sim.ScheduleIn(Math.Max(1, t), _id, 0, packet);
    }

    public void OnEvent(int kind, int packet, long data)
    {
        _busy--;
        if (_waiting.Count > 0) Start(_waiting.Dequeue());
        long submission = _submissionOf[packet];
        if (!_preserveOrder)
        {
            Complete(packet);
            return;
        }
        _finishedBySubmission[submission] = packet;
        while (_finishedBySubmission.Remove(_released, out int next))
        {
            _released++;
            Complete(next);
        }
    }

    void Complete(int packet)
    {
        var reason = _input.Resume(ref _ctx.Packets[packet]);
        if (reason == DropReason.None) Next.Receive(packet);
        else _ctx.Drop(packet, _input.DropId(reason));
    }
}
