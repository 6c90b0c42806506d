package dev.emend.cli;

import dev.emend.eval.report.BenchReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code emend report}: KnowEdit's table, a ‖ΔW‖ heatmap, failed edits by error type and score histograms over
 * {@code emend bench} results folders, as {@code report.md} and a self-contained {@code report.html}.
 */
@Command(name = "report", description = "Report over emend bench results folders: KnowEdit's table, a weight-change "
        + "heatmap, failed edits by error type, score histograms (report.md and a self-contained report.html).")
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RESULTS_DIR", description = "folders written by emend bench --out")
    List<Path> dirs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where to write report.md, report.html and the SVG images")
    Path out;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        BenchReport report = BenchReport.read(dirs);
        report.write(out);
        BenchReport.Table t = report.knowEditTable();
        stdout.printf("%-22s %-12s", "Dataset", "Metric");
        t.columns().forEach(c -> stdout.printf(" %14s", c));
        stdout.println();
        for (BenchReport.Row row : t.rows()) {
            stdout.printf("%-22s %-12s", row.dataset(), row.metric());
            row.cells().forEach(c -> stdout.printf(" %14s", c));
            stdout.println();
        }
        stdout.printf("report of %d run%s: %s, %s%n", report.runs().size(), report.runs().size() == 1 ? "" : "s",
                out.resolve("report.md"), out.resolve("report.html"));
        stdout.flush();
        return 0;
    }
}
