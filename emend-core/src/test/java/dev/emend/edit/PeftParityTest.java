package dev.emend.edit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Emend's edited logits against PEFT's for the same adapter, without Python: {@code golden/peft/<name>/} holds the
 * adapter tools/reference/check_peft.py checked and the logits PEFT computed with it ({@code logits}) and after
 * {@code merge_and_unload} ({@code merged_logits}). The writer must still produce that adapter (same factors, same
 * config), and applying the same patches in Emend must give PEFT's logits within 1e-4.
 */
class PeftParityTest {
    static final double TOL = 1e-4;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void editedLogitsMatchPeft(String name) throws IOException {
        Path golden = PeftCases.golden(name);
        Fixtures.Reference peft = new Fixtures.Reference(golden.resolve("peft_logits.safetensors"));
        assertThat(peft.longs("input_ids")).containsExactly(PeftCases.flatIds());
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny(name))) {
            Map<String, byte[]> before = EditTesting.snapshot(m);
            float[] base = PeftCases.logits(m);                                   // [2,10,V]
            EditSession session = PeftCases.apply(PeftCases.patches(m, name));
            Path dir = PeftCases.adapter(m, name, session).write(tmp.resolve(name));
            float[] edited = PeftCases.logits(m);                                 // [2,10,V]
            session.revertAll();
            assertThat(EditTesting.differing(before, EditTesting.snapshot(m))).isEmpty();

            // the writer's output is the adapter PEFT was run on
            assertThat(Files.readAllBytes(dir.resolve(PeftAdapter.WEIGHTS_FILE)))
                    .as("adapter_model.safetensors; if the writer changed on purpose, regenerate golden/peft (tools/reference/README.md)")
                    .isEqualTo(Files.readAllBytes(golden.resolve(PeftAdapter.WEIGHTS_FILE)));
            ObjectMapper json = new ObjectMapper();
            assertThat(json.readTree(dir.resolve(PeftAdapter.CONFIG_FILE).toFile()))
                    .isEqualTo(json.readTree(golden.resolve(PeftAdapter.CONFIG_FILE).toFile()));

            double d = Fixtures.maxAbsDiff(peft.floats("logits"), edited);
            double dMerged = Fixtures.maxAbsDiff(peft.floats("merged_logits"), edited);
            double effect = Fixtures.maxAbsDiff(base, edited);
            System.out.printf("PEFT parity %s: max|Δlogit| vs PeftModel %.2e, vs merge_and_unload %.2e (edit moves logits by %.2f)%n",
                    name, d, dMerged, effect);
            assertThat(effect).as("the edit must move the logits").isGreaterThan(0.1);
            assertThat(d).as("max |Δlogit| vs PEFT").isLessThanOrEqualTo(TOL);
            assertThat(dMerged).as("max |Δlogit| vs PEFT merged").isLessThanOrEqualTo(TOL);
        }
    }
}
