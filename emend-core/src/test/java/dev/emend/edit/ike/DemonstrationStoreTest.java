package dev.emend.edit.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.emend.ConfigException;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditRequest;
import dev.emend.embed.SentenceEmbedder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** EasyEdit's {@code encode_ike_facts} sentences, its retrieval query, the top-k ranking, and strict IKE params. */
class DemonstrationStoreTest {
    static final EditRequest PARIS = new EditRequest("The Eiffel Tower is in", "The Eiffel Tower", "Rome", "Paris",
            List.of("The Eiffel Tower stands in"), Map.of("Neighborhood", List.of(new EditRequest.Probe(
                    "The Louvre is in", "Paris"))), Map.of());
    static final EditRequest BARE = EditRequest.of("{} works as a", "Ann Lee", "pilot");

    @Test
    void sentencesAreEasyEditsCopyUpdateRetain() {
        assertThat(DemonstrationStore.sentences(List.of(PARIS, BARE))).containsExactly(
                "New Fact: The Eiffel Tower is in Rome\nPrompt: The Eiffel Tower is in Rome\n\n",
                "New Fact: The Eiffel Tower is in Rome\nPrompt: The Eiffel Tower stands in Rome\n\n",
                "New Fact: The Eiffel Tower is in Rome\nPrompt: The Louvre is in Paris\n\n",
                "New Fact: Ann Lee works as a pilot\nPrompt: Ann Lee works as a pilot\n\n");
        assertThat(DemonstrationStore.query(PARIS))
                .isEqualTo("New Fact: The Eiffel Tower is in Rome\nPrompt: The Eiffel Tower is in\n\n");
    }

    /** Fixed 2-d embeddings: the ranking by dot product is computed by hand below. */
    @Test
    void topKIsTheHandComputedRanking() {
        List<EditRequest> pool = List.of(EditRequest.of("A is in", "A", "x"), EditRequest.of("B is in", "B", "x"),
                EditRequest.of("C is in", "C", "x"), EditRequest.of("D is in", "D", "x"));
        // one copy sentence per request; angles 0°, 80°, 30°, 50° on the unit circle
        Map<String, float[]> vectors = Map.of(
                "New Fact: A is in x\nPrompt: A is in x\n\n", unit(0),
                "New Fact: B is in x\nPrompt: B is in x\n\n", unit(80),
                "New Fact: C is in x\nPrompt: C is in x\n\n", unit(30),
                "New Fact: D is in x\nPrompt: D is in x\n\n", unit(50));
        SentenceEmbedder fixed = new SentenceEmbedder() {
            public String name() {
                return "fixed";
            }

            public int dimension() {
                return 2;
            }

            public float[][] embed(List<String> s) {
                return s.stream().map(vectors::get).toArray(float[][]::new);
            }

            public void close() {}
        };
        DemonstrationStore store = DemonstrationStore.build(pool, fixed);
        // query at 45°: cos 5° (D) > cos 15° (C) > cos 35° (B) > cos 45° (A)
        List<DemonstrationStore.Hit> hits = store.search(unit(45), 3);
        assertThat(hits).extracting(DemonstrationStore.Hit::index).containsExactly(3, 2, 1);
        assertThat(hits.get(0).score()).isCloseTo(Math.cos(Math.toRadians(5)), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(store.search(unit(45), 10)).hasSize(4);
        // an exact tie (same vector) goes to the earlier sentence
        DemonstrationStore twins = DemonstrationStore.build(List.of(pool.get(2), pool.get(2), pool.get(0)), fixed);
        assertThat(twins.search(unit(45), 2)).extracting(DemonstrationStore.Hit::index).containsExactly(0, 1);
    }

    /** The test double ranks by word overlap; checked against counts done by hand. */
    @Test
    void testDoubleEmbedderRanksByWordOverlap() {
        try (HashedWordsEmbedder e = new HashedWordsEmbedder(4096)) {
            float[][] v = e.embed(List.of("a b c", "a b d", "x y z"));
            assertThat(dot(v[0], v[1])).isCloseTo(2.0 / 3, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(dot(v[0], v[2])).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(dot(v[0], v[0])).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void paramsHaveEasyEditsKeysAndDefaults() {
        IkeParams p = read("alg_name: \"IKE\"\nmodel_name: \"openai-community/gpt2-xl\"\nsentence_model_name: "
                + "\"./hugging_cache/all-MiniLM-L6-v2\"\ndevice: 0\nresults_dir: \"./results\"\n\nk: 16\nmodel_parallel: false");
        assertThat(p.k()).isEqualTo(16);
        assertThat(p.useIclExamples()).isTrue();
        IkeParams q = read("alg_name: IKE\nmodel_name: m\nuse_icl_examples: false");
        assertThat(q.k()).isEqualTo(16);
        assertThat(q.useIclExamples()).isFalse();
        assertThatThrownBy(() -> read("alg_name: IKE\nmodel_name: m\nk: 8\ntop_k: 3")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'top_k'");
        assertThatThrownBy(() -> read("alg_name: IKE\nmodel_name: m\nk: 0")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("use_icl_examples: false");
        assertThatThrownBy(() -> read("alg_name: ICE\nmodel_name: m")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("alg_name must be IKE");
    }

    static IkeParams read(String yaml) {
        return ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test", IkeParams.class);
    }

    static float[] unit(double degrees) {
        double r = Math.toRadians(degrees);
        return new float[] {(float) Math.cos(r), (float) Math.sin(r)};
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
