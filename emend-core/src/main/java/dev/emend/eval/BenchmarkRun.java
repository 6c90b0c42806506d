package dev.emend.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import dev.emend.data.DataFormat;
import dev.emend.data.Dataset;
import dev.emend.data.DatasetReader;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.Editor;
import dev.emend.edit.WeightDelta;
import dev.emend.model.LanguageModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A resumable benchmark run on disk ({@code emend bench}): EasyEdit's KnowEdit loop (pre-edit pass, edit, post-edit
 * pass, revert; easyedit-reference §2.7, §5.1) over a data file, with its results in one folder.
 *
 * <h2>Files</h2>
 * <ul>
 *   <li>{@code run.json}: the configuration and its hash ({@link #configHash()}): hashes of the model files, the
 *       params and the data file, and every option that changes a score. A folder is only ever continued by a run with
 *       the same hash; any other run is refused, naming the settings that differ.
 *   <li>{@code cases.jsonl}: one line per finished case, EasyEdit's case record ({@link EvalJson#caseResult}) plus
 *       {@code record} (the data-file record it came from), {@code update_norms} ({@code {parameter: ‖Δ‖}} of the
 *       case's edit, or of its batch's in batch mode) and, in batch mode, {@code batch}. Each finished case (or batch)
 *       is appended in one write and forced to disk (fsync) before the next starts.
 *   <li>{@code summary.json}: written when the run completes, from every line of {@code cases.jsonl}.
 * </ul>
 * The pre-edit pass is cached outside the folder, in {@code <cacheDir>/pre-edit/<key>.json}, keyed by the hashes of
 * the model files and the data file, the format, limit, seed and evaluation options (not the method), and reused by any
 * later run with that key: EasyEdit's {@code pre_file}.
 *
 * <h2>Resuming</h2>
 * Opening a folder that holds a run with the same hash reads its {@code cases.jsonl}: a torn last line (a write cut
 * by the interruption) is dropped, and in batch mode so are the lines of an incomplete batch; the cases left are done.
 * <ul>
 *   <li>single and batch modes resume at case and batch granularity: the done ones are not run again.
 *   <li>the sequential modes resume by applying the done cases' edits again first, in order, without scoring them
 *       (the model is then in the state the interrupted run left it in, for deterministic editors; CPU runs are
 *       deterministic, GPU kernels may differ in the last bits), then edit and score the rest.
 * </ul>
 * Either way every case appears exactly once in {@code cases.jsonl}.
 */
public final class BenchmarkRun {
    private static final Logger LOG = LoggerFactory.getLogger(BenchmarkRun.class);
    private static final int PRE_CHUNK = 16;

    /** Progress of a run, for a progress bar. Every method is optional. */
    public interface Progress {
        /** Reports nothing. */
        Progress NONE = new Progress() { };

        /**
         * A stage starts.
         *
         * @param stage "pre-edit" or "edit"
         * @param total units in the stage
         * @param already units done before this start (cached, or by an earlier run)
         */
        default void start(String stage, int total, int already) {}

        /**
         * @param done units done so far, {@code already} included
         * @param details short numbers to show (e.g. the running post-edit rewrite accuracy)
         */
        default void advance(int done, String details) {}

        /** The stage ended. */
        default void finish() {}
    }

    private final BenchConfig config;
    private final Dataset dataset;
    private final List<EditRequest> requests;
    private final ObjectNode identity;
    private final String configHash;
    private final String preKey;
    private final Set<Integer> done;

    private BenchmarkRun(BenchConfig config, Dataset dataset, ObjectNode identity, String preKey) {
        this.config = config;
        this.dataset = dataset;
        this.requests = dataset.requests();
        this.identity = identity;
        this.configHash = Hashes.of(identity.toString());
        this.preKey = preKey;
        this.done = new LinkedHashSet<>();
    }

    /**
     * Reads the data, hashes the inputs and opens the results folder: creates it with {@code run.json}, or checks
     * that the run there has the same configuration and reads the cases it finished.
     *
     * @param config the run
     * @return the opened run
     * @throws EmendException if the folder holds another run, or results without a {@code run.json}, or damaged lines
     * @throws dev.emend.data.DatasetException if the data file cannot be read
     */
    public static BenchmarkRun open(BenchConfig config) {
        Hashes hashes = new Hashes(config.cacheDir());
        Dataset all = DatasetReader.read(config.data(), DatasetReader.Options.defaults().withFormat(config.format())
                .withSeed(config.seed()));
        Dataset dataset = all.limit(config.limit());
        if (dataset.requests().isEmpty()) {
            throw new EmendException("%s gives no edit request (%s); check --format and the file".formatted(config.data(),
                    all.describe()));
        }
        ObjectNode pre = EvalJson.MAPPER.createObjectNode();
        pre.put("model_sha256", hashes.model(config.model()));
        pre.put("dtype", config.dtype());
        pre.put("data_sha256", hashes.file(config.data()));
        pre.put("format", dataset.format().cliName());
        pre.put("limit", config.limit());
        pre.put("seed", config.seed());
        pre.set("eval", EvalJson.options(config.options()));
        if (dataset.format() == DataFormat.CONVSENT || dataset.format() == DataFormat.SANITATION) {
            // the data set's own scoring (es/dd, Sanitation's answers) is part of these pre-edit records
            pre.put("protocol", dataset.format() == DataFormat.CONVSENT ? "convsent-es-dd/1" : "sanitation-answers/1");
        }
        ObjectNode identity = pre.deepCopy();
        identity.put("method", config.method());
        identity.put("params_sha256", Hashes.of(config.paramsText()));
        identity.put("mode", modeName(config.mode()));
        identity.put("batch_size", config.mode() == EditBenchmark.Mode.BATCH ? config.batchSize() : 1);
        identity.put("stats_corpus_sha256", config.statsCorpus() == null ? "default" : hashes.file(config.statsCorpus()));
        if (config.trainData() != null) {
            identity.put("train_sha256", hashes.file(config.trainData()));                 // absent before --train existed
        }
        BenchmarkRun run = new BenchmarkRun(config, dataset, identity, Hashes.of(pre.toString()));
        run.openFolder();
        return run;
    }

    /** @return the requests of the run, in case-id order */
    public List<EditRequest> requests() {
        return requests;
    }

    /** @return the data set they came from (with its skipped records) */
    public Dataset dataset() {
        return dataset;
    }

    /** @return the ids of the cases finished so far */
    public Set<Integer> done() {
        return Collections.unmodifiableSet(done);
    }

    /** @return the hash of the run's configuration, as in {@code run.json} */
    public String configHash() {
        return configHash;
    }

    /** @return {@code cases.jsonl} */
    public Path casesFile() {
        return config.out().resolve("cases.jsonl");
    }

    /** @return {@code summary.json} */
    public Path summaryFile() {
        return config.out().resolve("summary.json");
    }

    /** @return {@code run.json} */
    public Path runFile() {
        return config.out().resolve("run.json");
    }

    /** @return the pre-edit cache file of this model, data and options */
    public Path preEditCacheFile() {
        return config.cacheDir().resolve("pre-edit").resolve(preKey + ".json");
    }

    /**
     * Runs the cases not yet done and writes {@code summary.json}; afterwards the model is as before.
     *
     * @param model the loaded model (the one {@code config.model()} names)
     * @param editor the editor, bound to {@code model}
     * @param progress progress receiver
     * @return the summary over every case of the run
     */
    public Summary run(LanguageModel model, Editor editor, Progress progress) {
        EditEvaluator evaluator = new EditEvaluator(model, config.options());
        List<EditEvaluator.PreEdit> pre = preEdit(evaluator, progress);
        if (done.size() < requests.size()) {
            int[] okRewrite = {0};
            double[] sumRewrite = {0};
            progress.start("edit", requests.size(), done.size());
            EditBenchmark.Plan plan = EditBenchmark.Plan.of(config.batchSize()).withPre(pre).withDone(done)
                    .withListener((results, edit) -> {
                        append(results, edit);
                        for (CaseResult c : results) {
                            if (!c.failed()) {
                                okRewrite[0]++;
                                sumRewrite[0] += c.post().rewriteAcc().stream().mapToDouble(Double::doubleValue).average().orElse(0);
                            }
                        }
                        progress.advance(done.size(), okRewrite[0] == 0 ? "" : String.format(Locale.ROOT, "rewrite_acc %.3f",
                                sumRewrite[0] / okRewrite[0]));
                    });
            try {
                new EditBenchmark(editor, evaluator).run(requests, config.mode(), plan);
            } finally {
                progress.finish();
            }
        }
        Summary summary = Summary.ofMetrics(readCases().stream().map(EvalJson::readCase).toList());
        writeSummary(summary, model, editor);
        return summary;
    }

    /** The pre-edit measurements of every case, from the cache or computed in chunks and cached. */
    private List<EditEvaluator.PreEdit> preEdit(EditEvaluator evaluator, Progress progress) {
        Path cache = preEditCacheFile();
        if (Files.isRegularFile(cache)) {
            try {
                JsonNode root = EvalJson.MAPPER.readTree(cache.toFile());
                JsonNode cases = root.get("cases");
                if (preKey.equals(root.path("key").asText()) && cases != null && cases.size() == requests.size()) {
                    List<EditEvaluator.PreEdit> out = new ArrayList<>();
                    cases.forEach(c -> out.add(PreEditJson.read(c)));
                    progress.start("pre-edit (cached)", requests.size(), requests.size());
                    progress.finish();
                    return out;
                }
                LOG.warn("ignoring pre-edit cache {}: written for other cases", cache);
            } catch (IOException | RuntimeException e) {
                LOG.warn("ignoring unreadable pre-edit cache {}: {}", cache, e.getMessage());
            }
        }
        List<EditEvaluator.PreEdit> out = new ArrayList<>();
        progress.start("pre-edit", requests.size(), 0);
        try {
            for (int start = 0; start < requests.size(); start += PRE_CHUNK) {
                int end = Math.min(requests.size(), start + PRE_CHUNK);
                List<Integer> ids = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    ids.add(i);
                }
                out.addAll(evaluator.preCases(ids, requests.subList(start, end)));
                progress.advance(end, "");
            }
        } finally {
            progress.finish();
        }
        ObjectNode root = EvalJson.MAPPER.createObjectNode();
        root.put("key", preKey);
        root.put("model", config.model().toAbsolutePath().normalize().toString());
        root.put("data", config.data().toAbsolutePath().normalize().toString());
        ArrayNode cases = root.putArray("cases");
        out.forEach(p -> cases.add(PreEditJson.write(p)));
        writeAtomically(cache, root.toString());
        return out;
    }

    /** Appends finished cases as one write, forced to disk, then marks them done. */
    private void append(List<CaseResult> results, EditResult edit) {
        StringBuilder lines = new StringBuilder();
        for (CaseResult c : results) {
            ObjectNode o = EvalJson.caseResult(c);
            o.put("record", dataset.records().get(c.caseId()));
            if (config.mode() == EditBenchmark.Mode.BATCH) {
                o.put("batch", c.caseId() / config.batchSize());
            }
            if (edit != null && edit.patch() instanceof WeightDelta d) {
                ObjectNode norms = o.putObject("update_norms");
                d.parameters().stream().sorted().forEach(p -> norms.put(p, d.update(p).norm()));
            }
            lines.append(o).append('\n');
        }
        try (FileChannel ch = FileChannel.open(casesFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new EmendException("cannot append to %s: %s".formatted(casesFile(), e.getMessage()), e);
        }
        results.forEach(c -> done.add(c.caseId()));
    }

    /** Creates the folder with run.json, or checks the run there and reads its finished cases. */
    private void openFolder() {
        Path out = config.out();
        ObjectNode runJson = EvalJson.MAPPER.createObjectNode();
        runJson.put("config_hash", configHash);
        runJson.set("config", identity);
        ObjectNode info = runJson.putObject("info");
        info.put("model", config.model().toAbsolutePath().normalize().toString());
        info.put("params", config.paramsName());
        info.put("data", config.data().toAbsolutePath().normalize().toString());
        info.put("dataset", dataset.name());
        info.put("requests", requests.size());
        info.put("stats_corpus", config.statsCorpus() == null ? null : config.statsCorpus().toAbsolutePath().toString());
        if (config.trainData() != null) {
            info.put("train", config.trainData().toAbsolutePath().toString());
        }
        if (Files.isRegularFile(runFile())) {
            JsonNode old;
            try {
                old = EvalJson.MAPPER.readTree(runFile().toFile());
            } catch (IOException e) {
                throw new EmendException("cannot read %s: %s; delete the folder to start the run over".formatted(runFile(),
                        e.getMessage()), e);
            }
            if (!configHash.equals(old.path("config_hash").asText())) {
                throw new EmendException(("%s holds a run with another configuration (differs in: %s); give another --out, "
                        + "or delete the folder to start over").formatted(out, differences(old.path("config"), identity)));
            }
            readDone();
            return;
        }
        if (Files.exists(casesFile())) {
            throw new EmendException("%s has cases.jsonl but no run.json, so it cannot be resumed safely; give another --out"
                    .formatted(out));
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new EmendException("cannot create %s: %s".formatted(out, e.getMessage()), e);
        }
        writeAtomically(runFile(), runJson.toPrettyString());
    }

    /** Reads the finished cases; drops a torn last line and (batch mode) the lines of incomplete batches. */
    private void readDone() {
        if (!Files.isRegularFile(casesFile())) {
            return;
        }
        String text;
        try {
            text = Files.readString(casesFile(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new EmendException("cannot read %s: %s".formatted(casesFile(), e.getMessage()), e);
        }
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        boolean rewrite = false;
        String last = lines.remove(lines.size() - 1); // after the final newline: empty unless the last write was torn
        if (!last.isEmpty()) {
            LOG.warn("{}: dropping a torn last line ({} characters) left by the interruption", casesFile(), last.length());
            rewrite = true;
        }
        Map<Integer, String> byCase = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                rewrite = true;
                continue;
            }
            JsonNode c;
            try {
                c = EvalJson.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new EmendException(("line %d of %s is not JSON (%s); the file is damaged: delete the folder to start "
                        + "over").formatted(i + 1, casesFile(), e.getOriginalMessage()));
            }
            int id = c.path("case_id").asInt(-1);
            if (id < 0 || id >= requests.size() || byCase.containsKey(id)) {
                throw new EmendException(("line %d of %s has case_id %s, which is %s; the file is damaged: delete the folder "
                        + "to start over").formatted(i + 1, casesFile(), c.path("case_id"),
                        byCase.containsKey(id) ? "there twice" : "not a case of this run"));
            }
            EditRequest r = requests.get(id);
            JsonNode rw = c.path("requested_rewrite");
            if (!r.prompt().equals(rw.path("prompt").asText()) || !r.targetNew().equals(rw.path("target_new").asText())) {
                throw new EmendException(("line %d of %s (case %d) records another request than case %d of %s; delete the "
                        + "folder to start over").formatted(i + 1, casesFile(), id, id, config.data()));
            }
            byCase.put(id, line);
        }
        if (config.mode() == EditBenchmark.Mode.BATCH) {
            int b = config.batchSize();
            for (Iterator<Integer> it = byCase.keySet().iterator(); it.hasNext(); ) {
                int id = it.next();
                int start = id / b * b;
                int end = Math.min(requests.size(), start + b);
                boolean complete = true;
                for (int j = start; j < end; j++) {
                    complete &= byCase.containsKey(j);
                }
                if (!complete) {
                    it.remove();
                    rewrite = true;
                }
            }
        }
        if (rewrite) {
            StringBuilder kept = new StringBuilder();
            for (String line : lines) {
                if (line.isBlank()) {
                    continue;
                }
                int id = parse(line).path("case_id").asInt();
                if (line.equals(byCase.get(id))) {
                    kept.append(line).append('\n');
                }
            }
            writeAtomically(casesFile(), kept.toString());
        }
        done.addAll(byCase.keySet());
    }

    /** Every line of cases.jsonl, parsed. */
    private List<JsonNode> readCases() {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.isRegularFile(casesFile())) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(casesFile(), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(parse(line));
                }
            }
        } catch (IOException e) {
            throw new EmendException("cannot read %s: %s".formatted(casesFile(), e.getMessage()), e);
        }
        out.sort((a, b) -> Integer.compare(a.path("case_id").asInt(), b.path("case_id").asInt()));
        return out;
    }

    private void writeSummary(Summary summary, LanguageModel model, Editor editor) {
        ObjectNode o = EvalJson.MAPPER.createObjectNode();
        o.put("method", editor.method());
        o.put("mode", modeName(config.mode()));
        if (config.mode() == EditBenchmark.Mode.BATCH) {
            o.put("batch_size", config.batchSize());
        }
        o.put("dataset", dataset.name());
        o.put("format", dataset.format().cliName());
        o.put("model", config.model().toAbsolutePath().normalize().toString());
        o.put("model_layers", model.config().numLayers());
        o.put("data", config.data().toAbsolutePath().normalize().toString());
        o.put("params", config.paramsName());
        o.put("config_hash", configHash);
        o.put("records", dataset.totalRecords());
        o.put("skipped_records", dataset.skipped().size());
        ObjectNode skips = o.putObject("skipped_by_reason");
        dataset.skipCounts().forEach(skips::put);
        o.put("dropped_probes", dataset.droppedProbes());
        o.set("options", EvalJson.options(config.options()));
        o.set("summary", EvalJson.summary(summary));
        Map<String, double[]> norms = new LinkedHashMap<>();
        List<JsonNode> cases = readCases();
        for (JsonNode c : cases) {
            c.path("update_norms").properties().forEach(e -> {
                double[] s = norms.computeIfAbsent(e.getKey(), k -> new double[2]);
                s[0] += e.getValue().asDouble();
                s[1]++;
            });
        }
        ObjectNode mean = o.putObject("update_norms_mean");
        norms.forEach((k, v) -> mean.put(k, v[0] / v[1]));
        writeAtomically(summaryFile(), o.toPrettyString());
    }

    static String modeName(EditBenchmark.Mode mode) {
        return mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static JsonNode parse(String line) {
        try {
            return EvalJson.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new EmendException("a line of cases.jsonl is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String differences(JsonNode old, JsonNode now) {
        List<String> keys = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        now.fieldNames().forEachRemaining(names::add);
        old.fieldNames().forEachRemaining(names::add);
        for (String k : names) {
            if (!now.path(k).toString().equals(old.path(k).toString())) { // text: 42 read back is an int, written a long
                keys.add(k.replace("_sha256", ""));
            }
        }
        return keys.isEmpty() ? "the config hash" : String.join(", ", keys);
    }

    private static void writeAtomically(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new EmendException("cannot write %s: %s".formatted(file, e.getMessage()), e);
        }
    }
}
