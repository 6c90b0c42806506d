package dev.emend.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of a benchmark run: every case and their summary.
 *
 * @param method the editor's method name
 * @param mode how edits were applied and evaluated
 * @param options what was measured
 * @param cases per-case results, in request order
 * @param summary their means
 */
public record EvalReport(String method, EditBenchmark.Mode mode, EvalOptions options, List<CaseResult> cases,
        Summary summary) {
    /** Copies the list. */
    public EvalReport {
        cases = List.copyOf(cases);
    }

    /** @return {@code {"method", "mode", "options", "summary", "cases": [...]}} with EasyEdit's key names */
    public ObjectNode toJson() {
        return EvalJson.report(this);
    }

    /**
     * Writes {@link #toJson()} to a file, indented.
     *
     * @param file the target file
     */
    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            EvalJson.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the evaluation report to " + file, e);
        }
    }
}
