return Lab.Cli.LabCommand.Run(args);
