package dev.emend.world;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import dev.emend.model.ForwardRequest;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.tokenizer.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled model: HF parity (ids and logits, from {@code tools/reference/check_fact_world.py}), the model card's
 * accuracy numbers reproduced exactly, the card's targets met, the size limit kept.
 */
class FactWorldModelTest {
    static Path dir;
    static LanguageModel model;
    static World world;

    @BeforeAll
    static void load() {
        dir = Fixtures.factWorld();
        model = ModelLoader.load(dir);
        world = World.read(dir.resolve("world.json"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void idsAndLogitsEqualTransformers() throws IOException {
        Path fixtures = Fixtures.root().resolve("fact-world");
        JsonNode prompts = new ObjectMapper().readTree(fixtures.resolve("hf_reference.json").toFile()).get("prompts");
        Fixtures.Reference ref = new Fixtures.Reference(fixtures.resolve("hf_reference.safetensors"));
        long[] shape = ref.shape("logits");
        int width = (int) shape[1];
        int vocab = (int) shape[2];
        long[] ids = ref.longs("input_ids");
        long[] lengths = ref.longs("lengths");
        float[] logits = ref.floats("logits");
        assertThat(prompts.size()).isGreaterThanOrEqualTo(20);
        double worst = 0;
        for (int n = 0; n < prompts.size(); n++) {
            int len = (int) lengths[n];
            int[] expected = Fixtures.ints(Arrays.copyOfRange(ids, n * width, n * width + len));
            int[] actual = model.tokenizer().encode(prompts.get(n).asText(), true);
            assertThat(actual).as(prompts.get(n).asText()).containsExactly(expected);
            try (NDScope ignored = new NDScope()) {
                float[] ours = model.forward(ForwardRequest.builder(TokenBatch.single(actual)).build()).logits()
                        .toFloatArray();                                                         // [1,len,V]
                float[] theirs = Arrays.copyOfRange(logits, n * width * vocab, (n * width + len) * vocab);
                worst = Math.max(worst, Fixtures.maxAbsDiff(theirs, ours));
            }
        }
        System.out.printf("fact-world max |Δlogit| vs transformers: %.2e%n", worst);
        assertThat(worst).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void cardNumbersAreReproducedAndMeetTheTargets() {
        Map<String, WorldEvaluator.Accuracy> measured = FactWorldTrainer.evaluate(model, world);
        assertThat(measured).isEqualTo(ModelCard.readMetrics(dir));
        ModelCard.TARGETS.forEach((set, target) ->
                assertThat(measured.get(set).value()).as(set).isGreaterThanOrEqualTo(target));
    }

    @Test
    void theFolderIsSmallAndComplete() throws IOException {
        long bytes;
        try (var walk = Files.walk(dir)) {
            bytes = walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertThat(bytes).isLessThanOrEqualTo(25L << 20);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "world.json", "README.md", "metrics.json", "training.json"}) {
            assertThat(dir.resolve(f)).isRegularFile();
        }
        for (String set : new String[] {"modification", "insertion", "erasure"}) {
            JsonNode cases = new ObjectMapper().readTree(dir.resolve("bench").resolve(set + ".json").toFile());
            assertThat(cases.size()).as(set).isGreaterThanOrEqualTo(300);
        }
    }

    @Test
    void demoQuestionsAreAnsweredFromTheWorld() {
        for (DemoQuestions.Question q : DemoQuestions.pick(world)) {
            FactQuery.Answer a = FactQuery.ask(model, q.prompt(), q.expected(), 3);
            assertThat(a.top()).hasSize(3);
            assertThat(a.top().get(0).probability()).isGreaterThanOrEqualTo(a.top().get(1).probability());
            if (q.label().equals("trained fact")) {
                assertThat(a.correct()).as("%s → %s", q.prompt(), a.answer()).isTrue();
            }
        }
    }
}
