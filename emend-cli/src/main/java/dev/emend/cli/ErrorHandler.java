package dev.emend.cli;

import dev.emend.EmendException;
import picocli.CommandLine;

/** Prints Emend's own errors as one message (they already name the value and the remedy); others with a trace. */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (e instanceof EmendException || e instanceof IllegalArgumentException) {
            cmd.getErr().println("error: " + e.getMessage());
            return 2;
        }
        cmd.getErr().println("internal error: " + e);
        e.printStackTrace(cmd.getErr());
        return 1;
    }
}
