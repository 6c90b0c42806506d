package dev.emend.eval.report;

import dev.emend.EmendException;
import dev.emend.eval.Summary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A report over benchmark results folders: KnowEdit's table (methods × data sets × Edit Succ., Portability,
 * Locality, Fluency; easyedit-reference §2.7, §4.1), per-run details, a heatmap of ‖ΔW‖ per layer and module, the
 * failed edits by error type ({@link FailedEdits}) and the distribution of the per-case scores. {@link #write} puts
 * {@code report.md} (with the images as SVG files beside it) and {@code report.html} (one self-contained page: inline
 * CSS, the same images as {@code data:image/svg+xml} URIs) into a folder.
 *
 * <p>KnowEdit's numbers, computed from the post-edit scores of the cases each run finished: Edit Succ. = 100 × mean
 * {@code rewrite_acc}; Portability and Locality = 100 × the mean over cases of the mean over their keys
 * ({@code portability_mean}, {@code locality_mean}); Fluency = 100 × mean n-gram entropy. A cell is empty where the run
 * has no such probe or did not measure it. Data sets with their own scoring use it, as KnowEdit does: ConvSent's Edit
 * Succ. is 100 × {@code es} and its Locality, marked ↓ (lower is better), 100 × {@code dd}; Sanitation's are 100 × its
 * success and retain scores.
 */
public final class BenchReport {
    /** KnowEdit's metric rows, in its order. */
    static final List<String> METRICS = List.of("Edit Succ.", "Portability", "Locality", "Fluency");

    private final List<RunResults> runs;
    private final List<String> labels;

    private BenchReport(List<RunResults> runs) {
        this.runs = List.copyOf(runs);
        this.labels = uniqueLabels(runs);
    }

    /**
     * @param dirs results folders written by {@code emend bench}
     * @return the report over them
     * @throws EmendException if a folder is not a results folder
     */
    public static BenchReport read(List<Path> dirs) {
        if (dirs.isEmpty()) {
            throw new IllegalArgumentException("give at least one results folder");
        }
        return of(dirs.stream().map(RunResults::read).toList());
    }

    /** @param runs results @return the report over them */
    public static BenchReport of(List<RunResults> runs) {
        return new BenchReport(runs);
    }

    /** @return the runs, in the order given */
    public List<RunResults> runs() {
        return runs;
    }

    /**
     * KnowEdit's table.
     *
     * @param columns one per run label (method, with the mode if not single)
     * @param rows one per data set and metric; rows whose cells are all empty are left out, except Edit Succ.
     * @param notes what the empty cells and left-out rows mean
     */
    public record Table(List<String> columns, List<Row> rows, List<String> notes) {}

    /**
     * @param dataset the data set, on the first row of its group only (else "")
     * @param metric the metric
     * @param cells one per column: a number with two decimals, or "–"
     */
    public record Row(String dataset, String metric, List<String> cells) {}

    /** @return KnowEdit's table over the runs */
    public Table knowEditTable() {
        List<String> columns = new ArrayList<>(new LinkedHashSet<>(labels));
        Set<String> datasets = new LinkedHashSet<>();
        runs.forEach(r -> datasets.add(r.dataset()));
        List<Row> rows = new ArrayList<>();
        Set<String> notes = new LinkedHashSet<>();
        for (String d : datasets) {
            boolean first = true;
            for (String metric : METRICS) {
                List<String> cells = new ArrayList<>();
                boolean any = false;
                boolean kl = false;
                boolean sanitation = false;
                for (String col : columns) {
                    Double v = null;
                    for (int i = 0; i < runs.size(); i++) {
                        if (labels.get(i).equals(col) && runs.get(i).dataset().equals(d)) {
                            Summary.PhaseSummary post = runs.get(i).summary().post();
                            v = value(post, metric);
                            kl |= post.localityIsDivergence() && metric.equals("Locality");
                            sanitation |= post.protocol() != null && post.protocol().sanitationSuccess() != null;
                        }
                    }
                    any |= v != null;
                    cells.add(v == null ? "–" : String.format(Locale.ROOT, "%.2f", 100 * v));
                }
                if (!any && !metric.equals("Edit Succ.")) {
                    notes.add(metric.equals("Fluency") ? "Fluency is left out where no run measured it (emend bench --fluency)."
                            : metric + " is left out for data sets without " + metric.toLowerCase(Locale.ROOT) + " probes.");
                    continue;
                }
                if (kl) {
                    notes.add(d + ": Edit Succ. is es and Locality ↓ is dd, 100 × the mean token KL(pre ‖ post) on the next "
                            + "topic's answers (lower is better), as KnowEdit reports ConvSent.");
                }
                if (sanitation && metric.equals("Edit Succ.")) {
                    notes.add(d + ": Edit Succ. is the share of forget questions whose greedy answer contains the target "
                            + "(\"I don't know.\") and Locality the token agreement of the retain answers with the unedited "
                            + "model's, as EasyEdit's Sanitation script scores them.");
                }
                rows.add(new Row(first ? d : "", kl ? "Locality ↓" : metric, cells));
                first = false;
            }
        }
        notes.add("Values are 100 × the post-edit means over the finished cases; – where a run has no such probe or did not measure it.");
        return new Table(columns, rows, List.copyOf(notes));
    }

    /** A cell: the data set's own scores where it has them (ConvSent's es/dd, Sanitation's), else the generic ones. */
    private static Double value(Summary.PhaseSummary post, String metric) {
        return switch (metric) {
            case "Edit Succ." -> post.editSucc();
            case "Portability" -> post.portabilityMean();
            case "Locality" -> post.knowEditLocality();
            case "Fluency" -> post.fluency();
            default -> throw new IllegalArgumentException(metric);
        };
    }

    /**
     * The heatmap's rows: per run and edited module, the mean ‖ΔW‖ per layer over the run's successful cases (a case
     * that did not touch a layer counts 0; in batch mode each case carries its batch's update).
     *
     * @return row label → values by layer (empty if no run recorded updates)
     */
    public Map<String, double[]> weightChanges() {
        int layers = runs.stream().mapToInt(RunResults::modelLayers).max().orElse(0);
        Map<String, double[]> out = new LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            RunResults r = runs.get(i);
            List<RunResults.Case> ok = r.cases().stream().filter(c -> !c.metrics().failed()).toList();
            Set<String> modules = new TreeSet<>();
            ok.forEach(c -> c.updateNorms().keySet().forEach(p -> modules.add(RunResults.ParamName.parse(p).module())));
            for (String m : modules) {
                double[] row = new double[layers];
                for (RunResults.Case c : ok) {
                    for (Map.Entry<String, Double> e : c.updateNorms().entrySet()) {
                        RunResults.ParamName p = RunResults.ParamName.parse(e.getKey());
                        if (p.module().equals(m) && p.layer() >= 0 && p.layer() < layers) {
                            row[p.layer()] += e.getValue() / ok.size();
                        }
                    }
                }
                out.put(labels.get(i) + " · " + r.dataset() + " · " + m, row);
            }
        }
        return out;
    }

    /** @return the heatmap of {@link #weightChanges()} as SVG, or null if there is nothing to draw */
    public String heatmapSvg() {
        Map<String, double[]> w = weightChanges();
        if (w.isEmpty()) {
            return null;
        }
        return Charts.heatmap("Mean ‖ΔW‖ per edit, by layer and module", new ArrayList<>(w.keySet()), "layer",
                w.values().toArray(double[][]::new));
    }

    /** @param i a run's index @return its score histograms as SVG */
    public String histogramsSvg(int i) {
        RunResults r = runs.get(i);
        List<Summary.PhaseMetrics> post = r.cases().stream().filter(c -> !c.metrics().failed()).map(c -> c.metrics().post()).toList();
        List<Charts.Panel> panels = new ArrayList<>();
        panels.add(new Charts.Panel("rewrite_acc", means(post, Summary.PhaseMetrics::rewriteAcc), 0, 1));
        List<Double> rephrase = means(post, Summary.PhaseMetrics::rephraseAcc);
        if (!rephrase.isEmpty()) {
            panels.add(new Charts.Panel("rephrase_acc", rephrase, 0, 1));
        }
        List<Double> locality = overKeys(post, Summary.PhaseMetrics::locality);
        if (!locality.isEmpty()) {
            panels.add(new Charts.Panel("locality", locality, 0, 1));
        }
        List<Double> portability = overKeys(post, Summary.PhaseMetrics::portability);
        if (!portability.isEmpty()) {
            panels.add(new Charts.Panel("portability", portability, 0, 1));
        }
        List<Double> fluency = post.stream().map(Summary.PhaseMetrics::fluency).filter(f -> f != null).toList();
        if (!fluency.isEmpty()) {
            double lo = Math.floor(fluency.stream().mapToDouble(Double::doubleValue).min().orElse(0));
            double hi = Math.ceil(fluency.stream().mapToDouble(Double::doubleValue).max().orElse(1));
            panels.add(new Charts.Panel("fluency (bits)", fluency, lo, Math.max(hi, lo + 1)));
        }
        return Charts.histograms("Post-edit scores per case: %s on %s".formatted(labels.get(i), r.dataset()), panels);
    }

    private static List<Double> means(List<Summary.PhaseMetrics> ps, Function<Summary.PhaseMetrics, List<Double>> f) {
        List<Double> out = new ArrayList<>();
        for (Summary.PhaseMetrics p : ps) {
            List<Double> l = f.apply(p);
            if (!l.isEmpty()) {
                out.add(l.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
            }
        }
        return out;
    }

    private static List<Double> overKeys(List<Summary.PhaseMetrics> ps, Function<Summary.PhaseMetrics, Map<String, List<Double>>> f) {
        List<Double> out = new ArrayList<>();
        for (Summary.PhaseMetrics p : ps) {
            List<Double> keyMeans = new ArrayList<>();
            f.apply(p).values().forEach(l -> {
                if (!l.isEmpty()) {
                    keyMeans.add(l.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
                }
            });
            if (!keyMeans.isEmpty()) {
                out.add(keyMeans.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
            }
        }
        return out;
    }

    /** @return the report as Markdown; images are referenced as {@code heatmap.svg} and {@code scores-N.svg} */
    public String markdown() {
        StringBuilder b = new StringBuilder("# Emend benchmark report\n\n");
        b.append(runs.size()).append(" run").append(runs.size() == 1 ? "" : "s").append(": ");
        for (int i = 0; i < runs.size(); i++) {
            RunResults r = runs.get(i);
            b.append(i == 0 ? "" : "; ").append("`").append(r.dir().getFileName()).append("` (").append(labels.get(i))
                    .append(" on ").append(r.dataset()).append(", ").append(r.cases().size()).append(r.complete() ? "" : " of " + r.requests())
                    .append(" cases").append(r.complete() ? "" : ", incomplete").append(')');
        }
        b.append(".\n\n## KnowEdit table\n\n");
        Table t = knowEditTable();
        b.append("| Dataset | Metric |");
        t.columns().forEach(c -> b.append(' ').append(c).append(" |"));
        b.append("\n|---|---|").append("---|".repeat(t.columns().size())).append('\n');
        for (Row row : t.rows()) {
            b.append("| ").append(row.dataset()).append(" | ").append(row.metric()).append(" |");
            row.cells().forEach(c -> b.append(' ').append(c).append(" |"));
            b.append('\n');
        }
        b.append('\n');
        t.notes().forEach(n -> b.append("- ").append(n).append('\n'));
        b.append("\n## Runs\n\n| run | data set | cases | failed edits | rewrite_acc pre → post | rephrase_acc pre → post | locality | portability | s / edit |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < runs.size(); i++) {
            List<String> cells = details(i);
            b.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        b.append("\n## Weight change\n\n");
        Map<String, double[]> w = weightChanges();
        if (w.isEmpty()) {
            b.append("No run recorded weight updates.\n");
        } else {
            b.append(HEATMAP_NOTE).append("\n\n![Mean ‖ΔW‖ per edit, by layer and module](heatmap.svg)\n\n| run · data set · module |");
            int layers = w.values().iterator().next().length;
            for (int l = 0; l < layers; l++) {
                b.append(" layer ").append(l).append(" |");
            }
            b.append("\n|---|").append("---|".repeat(layers)).append('\n');
            w.forEach((k, v) -> {
                b.append("| ").append(k).append(" |");
                for (double x : v) {
                    b.append(' ').append(x == 0 ? "·" : Charts.fmt(x)).append(" |");
                }
                b.append('\n');
            });
        }
        b.append("\n## Failed edits\n\n").append(FAILURE_RULES).append("\n\n");
        b.append("| run | failed / cases |");
        for (FailedEdits.Kind k : FailedEdits.Kind.values()) {
            b.append(' ').append(k.label()).append(" |");
        }
        b.append(" kept the old answer |\n|---|---|").append("---|".repeat(FailedEdits.Kind.values().length + 1)).append('\n');
        for (int i = 0; i < runs.size(); i++) {
            b.append("| ").append(String.join(" | ", failureCells(i))).append(" |\n");
        }
        for (int i = 0; i < runs.size(); i++) {
            FailedEdits.Breakdown fb = FailedEdits.of(runs.get(i));
            if (!fb.examples().isEmpty()) {
                b.append("\nExamples, ").append(labels.get(i)).append(" on ").append(runs.get(i).dataset()).append(":\n\n");
                fb.examples().forEach((k, ex) -> ex.forEach(e -> b.append("- ").append(k.label()).append(": case ")
                        .append(e.caseId()).append(", target \"").append(e.target()).append("\"")
                        .append(e.answer() == null ? "" : ", generated \"" + e.answer() + "\"").append('\n')));
            }
        }
        b.append("\n## Score distributions\n\n");
        for (int i = 0; i < runs.size(); i++) {
            b.append("![Post-edit scores per case: ").append(labels.get(i)).append(" on ").append(runs.get(i).dataset())
                    .append("](scores-").append(i + 1).append(".svg)\n\n");
        }
        return b.toString();
    }

    static final String HEATMAP_NOTE = "Each cell is the mean Frobenius norm ‖ΔW‖ of the update an edit made to that "
            + "layer's module, over the run's successful cases (0, blank: not touched). In batch mode each case carries "
            + "its batch's update.";

    static final String FAILURE_RULES = "A failed edit: the editor threw, or the post-edit `rewrite_acc` is below 1. "
            + "Types, from the greedy answer to the edit prompt (`emend bench --generation`): *meaningless or repeated "
            + "tokens*: no word, a word twice in a row, or ≥ 4 words fewer than half distinct; otherwise by the share of "
            + "the target's normalised tokens in the answer: all (*target generated*: only teacher forcing missed it), some "
            + "(*missing target tokens*), none (*unrelated generation*; *kept the old answer* if its token F1 with the old "
            + "target is ≥ 0.5). Counts are of failed edits; shares in brackets.";

    private List<String> details(int i) {
        RunResults r = runs.get(i);
        Summary s = r.summary();
        List<String> cells = new ArrayList<>();
        cells.add("`" + r.dir().getFileName() + "` " + labels.get(i));
        cells.add(r.dataset());
        cells.add(r.cases().size() + (r.complete() ? "" : " of " + r.requests()));
        cells.add(String.valueOf(s.failed()));
        cells.add(arrow(s.pre().rewriteAcc(), s.post().rewriteAcc()));
        cells.add(arrow(s.pre().rephraseAcc(), s.post().rephraseAcc()));
        cells.add(keys(s.post().locality()));
        cells.add(keysArrow(s.pre().portability(), s.post().portability()));
        cells.add(Double.isNaN(s.time()) ? "–" : String.format(Locale.ROOT, "%.2f", s.time()));
        return cells;
    }

    private List<String> failureCells(int i) {
        FailedEdits.Breakdown fb = FailedEdits.of(runs.get(i));
        List<String> cells = new ArrayList<>();
        cells.add(labels.get(i) + " on " + runs.get(i).dataset());
        cells.add(fb.failed() + " / " + fb.cases());
        for (FailedEdits.Kind k : FailedEdits.Kind.values()) {
            int n = fb.counts().getOrDefault(k, 0);
            if (fb.needsGeneration() && k != FailedEdits.Kind.EDIT_ERROR) {
                cells.add("needs --generation");
            } else {
                cells.add(n == 0 ? "0" : String.format(Locale.ROOT, "%d (%.0f%%)", n, 100.0 * n / fb.failed()));
            }
        }
        cells.add(fb.needsGeneration() ? "needs --generation" : String.valueOf(fb.keptOldAnswer()));
        return cells;
    }

    private static String arrow(Double a, Double b) {
        return a == null && b == null ? "–" : "%s → %s".formatted(num(a), num(b));
    }

    private static String num(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String keys(Map<String, Double> m) {
        if (m.isEmpty()) {
            return "–";
        }
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(k + " " + num(v)));
        return String.join(", ", parts);
    }

    private static String keysArrow(Map<String, Double> pre, Map<String, Double> post) {
        if (post.isEmpty()) {
            return "–";
        }
        List<String> parts = new ArrayList<>();
        post.forEach((k, v) -> parts.add(k + " " + num(pre.get(k)) + " → " + num(v)));
        return String.join(", ", parts);
    }

    /** @return the report as one self-contained HTML page (inline CSS; images as {@code data:} URIs) */
    public String html() {
        StringBuilder b = new StringBuilder("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>Emend benchmark report</title>
                <style>
                body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;color:#222;line-height:1.4}
                h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
                table{border-collapse:collapse;margin:0.8em 0;font-size:0.92em}
                th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
                th{background:#f2f2f2}td.l,th.l{text-align:left}
                tr.first td{border-top:2px solid #888}
                .note{color:#555;font-size:0.9em}img{max-width:100%;height:auto;display:block;margin:0.6em 0}
                code{background:#f4f4f4;padding:0 3px}
                </style></head><body>
                <h1>Emend benchmark report</h1>
                """);
        b.append("<p>");
        for (int i = 0; i < runs.size(); i++) {
            RunResults r = runs.get(i);
            b.append(i == 0 ? "" : "; ").append("<code>").append(h(r.dir().getFileName().toString())).append("</code> (")
                    .append(h(labels.get(i))).append(" on ").append(h(r.dataset())).append(", ").append(r.cases().size())
                    .append(r.complete() ? "" : " of " + r.requests()).append(" cases").append(r.complete() ? "" : ", incomplete").append(')');
        }
        b.append("</p>\n<h2>KnowEdit table</h2>\n<table id=\"knowedit\"><tr><th class=\"l\">Dataset</th><th class=\"l\">Metric</th>");
        Table t = knowEditTable();
        t.columns().forEach(c -> b.append("<th>").append(h(c)).append("</th>"));
        b.append("</tr>\n");
        for (Row row : t.rows()) {
            b.append(row.dataset().isEmpty() ? "<tr>" : "<tr class=\"first\">").append("<td class=\"l\">").append(h(row.dataset()))
                    .append("</td><td class=\"l\">").append(h(row.metric())).append("</td>");
            row.cells().forEach(c -> b.append("<td>").append(h(c)).append("</td>"));
            b.append("</tr>\n");
        }
        b.append("</table>\n<ul class=\"note\">");
        t.notes().forEach(n -> b.append("<li>").append(h(n)).append("</li>"));
        b.append("</ul>\n<h2>Runs</h2>\n<table><tr><th class=\"l\">run</th><th class=\"l\">data set</th><th>cases</th><th>failed edits</th>"
                + "<th>rewrite_acc pre → post</th><th>rephrase_acc pre → post</th><th class=\"l\">locality</th>"
                + "<th class=\"l\">portability</th><th>s / edit</th></tr>\n");
        for (int i = 0; i < runs.size(); i++) {
            List<String> cells = details(i);
            b.append("<tr>");
            for (int c = 0; c < cells.size(); c++) {
                b.append(c < 2 || c == 6 || c == 7 ? "<td class=\"l\">" : "<td>").append(h(cells.get(c).replace("`", ""))).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n<h2>Weight change</h2>\n");
        String heatmap = heatmapSvg();
        if (heatmap == null) {
            b.append("<p>No run recorded weight updates.</p>\n");
        } else {
            b.append("<p class=\"note\">").append(h(HEATMAP_NOTE)).append("</p>\n")
                    .append(img("heatmap", "Mean ‖ΔW‖ per edit, by layer and module", heatmap));
        }
        b.append("<h2>Failed edits</h2>\n<p class=\"note\">").append(h(FAILURE_RULES).replaceAll("\\*([^*]+)\\*", "<em>$1</em>")
                .replaceAll("`([^`]+)`", "<code>$1</code>")).append("</p>\n<table id=\"failures\"><tr><th class=\"l\">run</th><th>failed / cases</th>");
        for (FailedEdits.Kind k : FailedEdits.Kind.values()) {
            b.append("<th>").append(h(k.label())).append("</th>");
        }
        b.append("<th>kept the old answer</th></tr>\n");
        for (int i = 0; i < runs.size(); i++) {
            List<String> cells = failureCells(i);
            b.append("<tr>");
            for (int c = 0; c < cells.size(); c++) {
                b.append(c == 0 ? "<td class=\"l\">" : "<td>").append(h(cells.get(c))).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
        for (int i = 0; i < runs.size(); i++) {
            FailedEdits.Breakdown fb = FailedEdits.of(runs.get(i));
            if (!fb.examples().isEmpty()) {
                b.append("<p class=\"note\">Examples, ").append(h(labels.get(i))).append(" on ").append(h(runs.get(i).dataset()))
                        .append(":</p><ul class=\"note\">");
                fb.examples().forEach((k, ex) -> ex.forEach(e -> b.append("<li>").append(h(k.label())).append(": case ")
                        .append(e.caseId()).append(", target “").append(h(e.target())).append("”")
                        .append(e.answer() == null ? "" : ", generated “" + h(e.answer()) + "”").append("</li>")));
                b.append("</ul>\n");
            }
        }
        b.append("<h2>Score distributions</h2>\n");
        for (int i = 0; i < runs.size(); i++) {
            b.append(img("scores-" + (i + 1), "Post-edit scores per case: " + labels.get(i) + " on " + runs.get(i).dataset(),
                    histogramsSvg(i)));
        }
        return b.append("</body></html>\n").toString();
    }

    /**
     * Writes {@code report.md} with {@code heatmap.svg} and {@code scores-N.svg} beside it, and {@code report.html}.
     *
     * @param dir the output folder (created if needed)
     */
    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("report.md"), markdown(), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("report.html"), html(), StandardCharsets.UTF_8);
            String heatmap = heatmapSvg();
            if (heatmap != null) {
                Files.writeString(dir.resolve("heatmap.svg"), heatmap, StandardCharsets.UTF_8);
            }
            for (int i = 0; i < runs.size(); i++) {
                Files.writeString(dir.resolve("scores-" + (i + 1) + ".svg"), histogramsSvg(i), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new EmendException("cannot write the report to %s: %s".formatted(dir, e.getMessage()), e);
        }
    }

    private static String img(String id, String alt, String svg) {
        return "<img id=\"%s\" alt=\"%s\" src=\"data:image/svg+xml;base64,%s\">\n".formatted(id, h(alt),
                Base64.getEncoder().encodeToString(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static String h(String s) {
        return Charts.esc(s);
    }

    /** Run labels, made unique where two runs share a label and a data set by adding their folder names. */
    private static List<String> uniqueLabels(List<RunResults> runs) {
        List<String> out = new ArrayList<>();
        for (RunResults r : runs) {
            long same = runs.stream().filter(o -> o.label().equals(r.label()) && o.dataset().equals(r.dataset())).count();
            out.add(same > 1 ? r.label() + " [" + r.dir().getFileName() + "]" : r.label());
        }
        return out;
    }
}
