package dev.emend.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.Fixtures;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writes edited, saved models and Emend's logits for tools/reference/check_saved.py, which loads each folder with
 * transformers and compares. Runs only when asked: {@code mvn test -pl emend-core -Dtest=SavedModelExport
 * -Demend.reference.out=/tmp/emend-saved}.
 */
@EnabledIfSystemProperty(named = "emend.reference.out", matches = ".+")
class SavedModelExport {
    static final long[] IDS = {5, 300, 17, 42, 99, 256, 7, 401, 12, 88};

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gpt2_sharded", "llama", "llama_bf16", "mistral", "qwen2", "gptj", "gpt_neox"})
    void export(String name) {
        Path out = Path.of(System.getProperty("emend.reference.out")).resolve(name);
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny(name))) {
            // edit one MLP out-projection so the saved folder differs from the source
            WeightRef w = m.architecture().weight(HookPoint.Site.MLP_POST, 0);
            NDArray edited;
            try (NDScope ignored = new NDScope()) {
                edited = Tensors.apply(m.weights().get(w.name()), m.manager(), a -> a.mul(1.5f).add(0.01f));
                NDScope.unregister(edited);
            }
            m.weights().replace(w.name(), edited);
            ModelSaver.save(m, out, ModelSaver.Options.changedShards());
        }
        // logits of the saved folder as Emend reloads it (a BF16 checkpoint stores the edit rounded to BF16)
        try (LanguageModel m = ModelLoader.load(out)) {
            try (NDScope ignored = new NDScope(); NDManager tmp = NDManager.newBaseManager()) {
                NDArray logits = m.forward(TokenBatch.of(1, IDS.length, IDS, ones(IDS.length)), Hooks.none()).logits();
                NDArray ids = tmp.create(IDS, new Shape(1, IDS.length));
                SafeTensors.write(out.resolve("emend_logits.safetensors"), List.of(
                        new SafeTensors.Entry("input_ids", ids, StorageType.I64),
                        new SafeTensors.Entry("logits", logits, StorageType.F32)), Map.of());
            }
        }
    }

    static long[] ones(int n) {
        long[] o = new long[n];
        java.util.Arrays.fill(o, 1);
        return o;
    }
}
