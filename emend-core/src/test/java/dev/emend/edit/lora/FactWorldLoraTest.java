package dev.emend.edit.lora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.emend.Fixtures;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.eval.EditBenchmark;
import dev.emend.eval.EvalOptions;
import dev.emend.eval.EvalReport;
import dev.emend.eval.Summary;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LoRA and AdaLoRA with their bundled fact-world params on the bundled modification benchmark, single edits (each
 * applied alone, evaluated with EasyEdit's metrics, reverted): rewrite_acc ≥ 0.9 (LoRA) and ≥ 0.95 (AdaLoRA) on the
 * first 40 cases, every parameter bit-identical afterwards. {@code -Demend.factworld.cases=200} runs more cases;
 * {@code -Demend.lora.sweep=true} runs the search on cases 20-49 that chose the bundled values
 * ({@code -Demend.lora.method=AdaLoRA} for AdaLoRA's).
 */
class FactWorldLoraTest {
    static final int CASES = Integer.getInteger("emend.factworld.cases", 40);
    static LanguageModel model;
    static List<EditRequest> requests;

    @BeforeAll
    static void load() throws IOException {
        requests = Fixtures.factWorldModification().subList(0, Math.max(CASES, 50));
        model = ModelLoader.load(Fixtures.factWorld());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void singleEditsAreReliable() {
        assertReliable("LoRA", 0.9);
    }

    /** The bar for AdaLoRA: reliability ≥ 0.95 (on ≥ 200 cases with -Demend.factworld.cases=200). */
    @Test
    void adaLoraSingleEditsAreReliable() {
        assertReliable("AdaLoRA", 0.95);
    }

    private static void assertReliable(String method, double bar) {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        Summary s = print(method, run(Editors.standard().createBundled(method, model, "fact-world", EditContext.defaults()),
                requests.subList(0, CASES)));
        assertThat(s.failed()).isZero();
        assertThat(s.post().rewriteAcc()).as(method + " rewrite_acc").isGreaterThanOrEqualTo(bar);
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    /** The search behind the bundled values (cases 20-49); off by default. */
    @Test
    void sweep() {
        Assumptions.assumeTrue(Boolean.getBoolean("emend.lora.sweep"), "-Demend.lora.sweep=true runs the search");
        List<EditRequest> tune = requests.subList(20, 50);
        String[] layers = System.getProperty("emend.lora.layers", "[2];[3]").split(";");
        String[] modules = System.getProperty("emend.lora.modules", "[\"mlp.c_proj\"];[\"c_attn\"]").split(";");
        String[] lrs = System.getProperty("emend.lora.lrs", "1e-3,5e-3").split(",");
        String steps = System.getProperty("emend.lora.steps", "30");
        String method = System.getProperty("emend.lora.method", "LoRA");
        for (String module : modules) {
            for (String layer : layers) {
                for (String lr : lrs) {
                    String label = "%s target_modules %s layers %s lr %s steps %s".formatted(method, module, layer, lr, steps);
                    print(label, run(new LoraEditor(model, params(method, "target_modules", module, "layers", layer, "lr",
                            lr, "num_steps", steps), EditContext.defaults()), tune));
                }
            }
        }
    }

    static LoraParams params(String method, String... replacements) {
        String yaml = Editors.bundledText(method, "fact-world").orElseThrow();
        for (int i = 0; i < replacements.length; i += 2) {
            yaml = yaml.replaceFirst("(?m)^" + replacements[i] + ":.*$", replacements[i] + ": " + replacements[i + 1]);
        }
        return ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "LoRA", LoraParams.class);
    }

    static EvalReport run(Editor editor, List<EditRequest> cases) {
        return new EditBenchmark(model, editor, EvalOptions.defaults()).run(cases, EditBenchmark.Mode.SINGLE);
    }

    static Summary print(String label, EvalReport r) {
        Summary s = r.summary();
        System.out.printf("fact-world %s, %d cases: rewrite_acc %.3f -> %.3f, rephrase_acc %.3f -> %.3f, locality %s, "
                + "portability %s -> %s, %.2f s per edit%n", label, s.cases(), s.pre().rewriteAcc(), s.post().rewriteAcc(),
                s.pre().rephraseAcc(), s.post().rephraseAcc(), round(s.post().locality()), round(s.pre().portability()),
                round(s.post().portability()), s.time());
        System.out.flush();
        return s;
    }

    private static Map<String, String> round(Map<String, Double> m) {
        Map<String, String> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, "%.3f".formatted(v)));
        return out;
    }
}
