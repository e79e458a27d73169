using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lab.Reports.Tests;

/// <summary>
/// Headless chromium driven over the DevTools protocol on --remote-debugging-pipe (fds 3 and 4,
/// connected to two FIFOs): no TCP port, so nothing listens or connects, even on loopback.
/// Messages are JSON terminated by a NUL byte.
/// </summary>
public sealed class DevToolsPipe : IDisposable
{
    readonly Process browser;
    readonly FileStream toBrowser;
    readonly FileStream fromBrowser;
    readonly Thread reader;
    readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> pending = new();
    readonly List<JsonObject> events = [];
    readonly string stderrPath;
    int nextId;

    public static readonly string[] Switches =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1600,900",
    ];

    public DevToolsPipe(string chromium, string workDir)
    {
        string input = Path.Combine(workDir, "devtools-in");
        string output = Path.Combine(workDir, "devtools-out");
        foreach (var fifo in new[] { input, output })
            Assert.Equal(0, Prerequisites.Run("mkfifo", [fifo], out _));
        stderrPath = Path.Combine(workDir, "chromium.log");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" 3<\"$DEVTOOLS_IN\" 4>\"$DEVTOOLS_OUT\" 2>\"$DEVTOOLS_LOG\"");
        psi.ArgumentList.Add(chromium);
        foreach (var s in Switches) psi.ArgumentList.Add(s);
        psi.ArgumentList.Add($"--user-data-dir={Path.Combine(workDir, "profile")}");
        psi.ArgumentList.Add("--remote-debugging-pipe");
        psi.ArgumentList.Add("about:blank");
        psi.Environment["DEVTOOLS_IN"] = input;
        psi.Environment["DEVTOOLS_OUT"] = output;
        psi.Environment["DEVTOOLS_LOG"] = stderrPath;
        browser = Process.Start(psi)!;
        // The shell opens fd 3 (reading "in") before fd 4 (writing "out"); FIFO opens block until
        // both ends are open, so open them in the same order.
        toBrowser = new FileStream(input, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        fromBrowser = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        reader = new Thread(Read) { IsBackground = true, Name = "devtools-reader" };
        reader.Start();
    }

    public string Log => File.Exists(stderrPath) ? File.ReadAllText(stderrPath) : "";

    void Read()
    {
        var message = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            int n;
            while ((n = fromBrowser.Read(buffer, 0, buffer.Length)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != 0)
                    {
                        message.WriteByte(buffer[i]);
                        continue;
                    }
                    var json = JsonNode.Parse(message.ToArray())!.AsObject();
                    message.SetLength(0);
                    if (json["id"] is { } id && pending.TryRemove(id.GetValue<int>(), out var tcs)) tcs.SetResult(json);
                    else lock (events) events.Add(json);
                }
            }
        }
        catch (IOException)
        {
            // The browser went away; pending calls time out with its log.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public JsonObject Call(string method, JsonObject? parameters = null, string? session = null, int timeoutMs = 60_000)
    {
        int id = Interlocked.Increment(ref nextId);
        var request = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
        if (session is not null) request["sessionId"] = session;
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = tcs;
        byte[] bytes = Encoding.UTF8.GetBytes(request.ToJsonString());
        lock (toBrowser)
        {
            toBrowser.Write(bytes);
            toBrowser.WriteByte(0);
            toBrowser.Flush();
        }
        if (!tcs.Task.Wait(timeoutMs)) throw new TimeoutException($"{method}: no answer from chromium in {timeoutMs} ms\n{Log}");
        var answer = tcs.Task.Result;
        if (answer["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        return answer["result"]!.AsObject();
    }

    public IReadOnlyList<JsonObject> Events(string? session = null)
    {
        lock (events) return events.Where(e => session is null || e["sessionId"]?.GetValue<string>() == session).ToList();
    }

    public void WaitForEvent(string method, string session, int timeoutMs = 60_000)
    {
        var watch = Stopwatch.StartNew();
        while (!Events(session).Any(e => e["method"]?.GetValue<string>() == method))
        {
            if (watch.ElapsedMilliseconds > timeoutMs) throw new TimeoutException($"no {method} from chromium in {timeoutMs} ms\n{Log}");
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        try
        {
            Call("Browser.close", timeoutMs: 10_000);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException)
        {
        }
        if (!browser.WaitForExit(10_000)) browser.Kill(entireProcessTree: true);
        toBrowser.Dispose();
        fromBrowser.Dispose();
        browser.Dispose();
    }

    public static JsonObject Params(params (string Key, JsonNode? Value)[] values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v;
        return o;
    }

    public static string Text(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "";
}
