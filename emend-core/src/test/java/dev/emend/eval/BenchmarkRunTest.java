package dev.emend.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.EmendException;
import dev.emend.Fixtures;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.WorldCorpus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BenchmarkRun} on the fact-world model with ROME: a run interrupted after k cases (by its progress callback,
 * with a torn half line left behind) resumes without losing or repeating a case; the pre-edit pass comes from the cache
 * the first run wrote; another configuration is refused on the same folder; batch mode drops an incomplete batch;
 * sequential mode replays the done edits and scores the rest as an uninterrupted run does.
 */
class BenchmarkRunTest {
    static LanguageModel model;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() {
        Path dir = Fixtures.factWorld();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("bench/modification.json")), "the fact-world model is not in " + dir);
        model = ModelLoader.load(dir);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    static BenchConfig config(Path out, int limit, EditBenchmark.Mode mode, int batchSize) {
        Path dir = Fixtures.factWorld();
        return new BenchConfig(dir, "fp32", "ROME", "bundled ROME/fact-world", Editors.bundledText("ROME", "fact-world").orElseThrow(),
                dir.resolve("bench/modification.json"), null, limit, mode, batchSize, 42, EvalOptions.defaults(), null, null, out,
                tmp.resolve("cache"));
    }

    static Editor rome() {
        EditContext ctx = EditContext.builder().optStatsDir(tmp.resolve("stats"))
                .optCorpus(WorldCorpus.STATS_CORPUS, WorldCorpus.statsCorpus(Fixtures.factWorld()).orElseThrow()).build();
        return Editors.standard().createBundled("ROME", model, "fact-world", ctx);
    }

    /** Records the stages and throws once {@code stopAfter} edit units are done. */
    static final class Interrupting implements BenchmarkRun.Progress {
        final int stopAfter;
        final List<String> stages = new ArrayList<>();
        String stage;

        Interrupting(int stopAfter) {
            this.stopAfter = stopAfter;
        }

        @Override
        public void start(String s, int total, int already) {
            stage = s;
            stages.add(s + " " + already + "/" + total);
        }

        @Override
        public void advance(int done, String details) {
            if (stage.equals("edit") && done >= stopAfter) {
                throw new IllegalStateException("interrupted after " + done);
            }
        }
    }

    static List<JsonNode> lines(Path casesFile) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String l : Files.readAllLines(casesFile, StandardCharsets.UTF_8)) {
            out.add(json.readTree(l));
        }
        return out;
    }

    static List<Integer> ids(List<JsonNode> lines) {
        return lines.stream().map(l -> l.get("case_id").asInt()).toList();
    }

    @Test
    void anInterruptedSingleRunResumesWithEveryCaseExactlyOnce() throws IOException {
        Path out = tmp.resolve("single");
        Map<String, byte[]> before = EditTesting.snapshot(model);
        long t0 = System.nanoTime();
        BenchmarkRun first = BenchmarkRun.open(config(out, 12, EditBenchmark.Mode.SINGLE, 1));
        assertThat(first.requests()).hasSize(12);
        assertThat(first.done()).isEmpty();
        Interrupting stop = new Interrupting(5);
        assertThatThrownBy(() -> first.run(model, rome(), stop)).hasMessage("interrupted after 5");
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).as("restored after the interruption").isEmpty();
        assertThat(stop.stages).containsExactly("pre-edit 0/12", "edit 0/12");
        assertThat(ids(lines(first.casesFile()))).containsExactly(0, 1, 2, 3, 4);
        assertThat(first.summaryFile()).doesNotExist();
        assertThat(first.preEditCacheFile()).exists();
        // the kill came in the middle of the next write
        Files.writeString(first.casesFile(), "{\"case_id\":5,\"requested_rewrite\":{\"prompt\":\"Nig", StandardOpenOption.APPEND);

        assertThatThrownBy(() -> BenchmarkRun.open(config(out, 11, EditBenchmark.Mode.SINGLE, 1)))
                .isInstanceOf(EmendException.class).hasMessageContaining("holds a run with another configuration")
                .hasMessageContaining("differs in: limit");
        assertThatThrownBy(() -> BenchmarkRun.open(config(out, 12, EditBenchmark.Mode.SEQUENTIAL, 1)))
                .hasMessageContaining("differs in: mode");

        BenchmarkRun second = BenchmarkRun.open(config(out, 12, EditBenchmark.Mode.SINGLE, 1));
        assertThat(second.configHash()).isEqualTo(first.configHash());
        assertThat(second.done()).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
        Interrupting watch = new Interrupting(Integer.MAX_VALUE);
        Summary s = second.run(model, rome(), watch);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(watch.stages).containsExactly("pre-edit (cached) 12/12", "edit 5/12");
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();

        List<JsonNode> lines = lines(second.casesFile());
        assertThat(ids(lines)).as("every case exactly once, in order").containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(s.cases()).isEqualTo(12);
        assertThat(s.failed()).isZero();
        assertThat(s.post().rewriteAcc()).isGreaterThanOrEqualTo(0.9);
        for (JsonNode l : lines) {
            assertThat(l.get("record").asInt()).isEqualTo(l.get("case_id").asInt());
            assertThat(l.get("update_norms").fieldNames()).toIterable().singleElement().asString().contains("mlp.c_proj");
            assertThat(l.get("post").get("rewrite_acc")).hasSize(1);
        }
        JsonNode summary = new ObjectMapper().readTree(second.summaryFile().toFile());
        assertThat(summary.get("summary").get("cases").asInt()).isEqualTo(12);
        assertThat(summary.get("summary").get("post").get("rewrite_acc").asDouble()).isEqualTo(s.post().rewriteAcc());
        assertThat(summary.get("method").asText()).isEqualTo("ROME");
        assertThat(summary.get("dataset").asText()).isEqualTo("modification");
        assertThat(summary.get("model_layers").asInt()).isEqualTo(4);
        assertThat(summary.get("update_norms_mean").size()).isEqualTo(1);
        System.out.printf(Locale.ROOT, "fact-world ROME bench, 12 cases interrupted after 5 and resumed: rewrite_acc %.3f -> %.3f, "
                + "locality %.3f; %.1f s in all%n", s.pre().rewriteAcc(), s.post().rewriteAcc(), s.post().localityMean(), seconds);

        // a complete run opened again has nothing to do and rewrites the same summary
        BenchmarkRun third = BenchmarkRun.open(config(out, 12, EditBenchmark.Mode.SINGLE, 1));
        assertThat(third.done()).hasSize(12);
        assertThat(third.run(model, rome(), BenchmarkRun.Progress.NONE)).isEqualTo(s);
        assertThat(lines(third.casesFile())).hasSize(12);
    }

    @Test
    void batchModeResumesAtBatchGranularity() throws IOException {
        Path out = tmp.resolve("batch");
        BenchmarkRun first = BenchmarkRun.open(config(out, 6, EditBenchmark.Mode.BATCH, 3));
        assertThatThrownBy(() -> first.run(model, rome(), new Interrupting(3))).hasMessage("interrupted after 3");
        List<JsonNode> written = lines(first.casesFile());
        assertThat(ids(written)).containsExactly(0, 1, 2);
        assertThat(written).allMatch(l -> l.get("batch").asInt() == 0);
        // a torn batch: one line of batch 1 made it to disk (a real line of case 3, taken from a single-mode run)
        Path single = tmp.resolve("batch-single");
        BenchmarkRun one = BenchmarkRun.open(config(single, 4, EditBenchmark.Mode.SINGLE, 1));
        one.run(model, rome(), BenchmarkRun.Progress.NONE);
        Files.writeString(first.casesFile(), Files.readAllLines(one.casesFile()).get(3) + "\n", StandardOpenOption.APPEND);

        BenchmarkRun second = BenchmarkRun.open(config(out, 6, EditBenchmark.Mode.BATCH, 3));
        assertThat(second.done()).as("the incomplete batch is dropped").containsExactlyInAnyOrder(0, 1, 2);
        assertThat(ids(lines(second.casesFile()))).containsExactly(0, 1, 2);
        Summary s = second.run(model, rome(), BenchmarkRun.Progress.NONE);
        assertThat(ids(lines(second.casesFile()))).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(lines(second.casesFile())).extracting(l -> l.get("batch").asInt()).containsExactly(0, 0, 0, 1, 1, 1);
        assertThat(s.cases()).isEqualTo(6);
    }

    @Test
    void sequentialModeReplaysTheDoneEditsAndScoresLikeAnUninterruptedRun() throws IOException {
        EditBenchmark.Mode mode = EditBenchmark.Mode.SEQUENTIAL_EVAL_EACH;
        BenchmarkRun whole = BenchmarkRun.open(config(tmp.resolve("seq-whole"), 4, mode, 1));
        whole.run(model, rome(), BenchmarkRun.Progress.NONE);

        Path out = tmp.resolve("seq");
        BenchmarkRun first = BenchmarkRun.open(config(out, 4, mode, 1));
        assertThatThrownBy(() -> first.run(model, rome(), new Interrupting(2))).hasMessage("interrupted after 2");
        BenchmarkRun second = BenchmarkRun.open(config(out, 4, mode, 1));
        assertThat(second.done()).containsExactlyInAnyOrder(0, 1);
        second.run(model, rome(), BenchmarkRun.Progress.NONE);

        List<JsonNode> a = lines(whole.casesFile());
        List<JsonNode> b = lines(second.casesFile());
        assertThat(ids(b)).containsExactly(0, 1, 2, 3);
        for (int i = 0; i < 4; i++) {
            assertThat(b.get(i).get("post")).as("case %d after the replay", i).isEqualTo(a.get(i).get("post"));
            assertThat(b.get(i).get("update_norms")).isEqualTo(a.get(i).get("update_norms"));
        }
    }
}
