package dev.emend.edit;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.Fixtures;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writes the {@link PeftCases} adapters and Emend's logits for tools/reference/check_peft.py, which applies each
 * adapter with PEFT to the base model and compares (and with {@code --golden} refreshes {@code golden/peft/}). Runs
 * only when asked: {@code mvn test -pl emend-core -Dtest=PeftAdapterExport -Demend.reference.out=/tmp/emend-peft}.
 *
 * <p>Each {@code <out>/<name>/} is an adapter folder plus {@code emend_logits.safetensors}: {@code input_ids} [2,10]
 * int64, {@code logits} [2,10,V] of the edited model and {@code base_logits} [2,10,V] before the edit.
 */
@EnabledIfSystemProperty(named = "emend.reference.out", matches = ".+")
class PeftAdapterExport {
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void export(String name) {
        Path out = Path.of(System.getProperty("emend.reference.out")).resolve(name);
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny(name));
                NDManager tmp = NDManager.newBaseManager()) {
            float[] base = PeftCases.logits(m);                                    // [2,10,V]
            EditSession session = PeftCases.apply(PeftCases.patches(m, name));
            PeftCases.adapter(m, name, session).write(out);
            float[] edited = PeftCases.logits(m);                                  // [2,10,V]
            session.revertAll();
            Shape shape = new Shape(PeftCases.IDS.length, PeftCases.IDS[0].length, m.config().vocabSize());
            SafeTensors.write(out.resolve("emend_logits.safetensors"), List.of(
                    new SafeTensors.Entry("input_ids", tmp.create(PeftCases.flatIds(), new Shape(shape.get(0), shape.get(1))),
                            StorageType.I64),
                    new SafeTensors.Entry("logits", tmp.create(edited, shape), StorageType.F32),
                    new SafeTensors.Entry("base_logits", tmp.create(base, shape), StorageType.F32)), Map.of());
        }
    }
}
