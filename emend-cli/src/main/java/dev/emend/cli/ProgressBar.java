package dev.emend.cli;

import java.io.PrintWriter;

/** A one-line progress bar with ETA, redrawn in place on a terminal (carriage return). */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final String label;
    private final long startNanos = System.nanoTime();
    private final long startDone;

    ProgressBar(PrintWriter err, String label) {
        this(err, label, 0);
    }

    /**
     * @param err where to draw
     * @param label the text before the bar
     * @param startDone units already done when the bar starts (a resumed run): the ETA counts only the rate since
     */
    ProgressBar(PrintWriter err, String label, long startDone) {
        this.err = err;
        this.label = label;
        this.startDone = startDone;
    }

    /**
     * Redraws the bar.
     *
     * @param done units done
     * @param total units in all
     * @param details extra text (loss, throughput)
     */
    void update(long done, long total, String details) {
        double frac = total == 0 ? 1 : (double) done / total;
        int filled = (int) Math.round(frac * WIDTH);
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        long doneHere = done - startDone;
        double eta = doneHere <= 0 ? 0 : elapsed * (total - done) / doneHere;
        err.printf("\r%s [%s%s] %d/%d %s ETA %s   ", label, "=".repeat(filled), " ".repeat(WIDTH - filled), done, total,
                details, doneHere <= 0 && done < total ? "?" : duration(eta));
        err.flush();
    }

    /** Ends the line. */
    void finish() {
        err.println();
        err.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? "%dh%02dm".formatted(s / 3600, s / 60 % 60) : s >= 60 ? "%dm%02ds".formatted(s / 60, s % 60)
                : s + "s";
    }
}
