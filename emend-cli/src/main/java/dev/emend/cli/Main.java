package dev.emend.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code emend} command: parses arguments, calls the core library, prints results. No numerics here. */
@Command(name = "emend", mixinStandardHelpOptions = true, version = "emend 0.1.0",
        description = "Knowledge editing for large language models on the JVM.",
        subcommands = {DemoCommand.class, InfoCommand.class, GenerateCommand.class, EditCommand.class,
            ConvertCommand.class, TrainWorldCommand.class, EvalWorldCommand.class, BenchCommand.class, ReportCommand.class,
            BenchRuntimeCommand.class, BenchRomeCommand.class, BenchEditCommand.class, StatsCommand.class,
            ProbeCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    private Main() {}

    /**
     * Runs the CLI and exits with its status.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        configureRuntime();
        System.exit(run(args));
    }

    /**
     * Runs the CLI without exiting (for tests).
     *
     * @param args command-line arguments
     * @return the exit status
     */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /**
     * Runs the CLI with the given output streams (for tests and embedding).
     *
     * @param out standard output
     * @param err error output
     * @param args command-line arguments
     * @return the exit status
     */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        configureRuntime();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new ErrorHandler());
        return cli.execute(args);
    }

    /** No network at run time, quiet engine logs unless the user set their own. */
    static void configureRuntime() {
        setDefault("ai.djl.offline", "true");
        setDefault("ai.djl.pytorch.graph_optimizer", "false");
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefault("org.slf4j.simpleLogger.log.ai.djl", "warn");
        setDefault("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
