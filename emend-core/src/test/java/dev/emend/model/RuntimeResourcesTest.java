package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.emend.Fixtures;
import dev.emend.tokenizer.TokenBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Native memory has an owner: weights are sealed and mapped, passes leave nothing behind; fp16 compute works. */
class RuntimeResourcesTest {
    @Test
    void weightsAreSealedAndForwardPassesLeakNothing() {
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny("mistral"))) {
            assertThat(m.weights().isSealed()).isTrue();
            NDArray w = m.weights().get(m.architecture().weight(HookPoint.Site.MLP_POST, 0).name());
            assertThatThrownBy(() -> w.mul(2f)).as("an op with a weight first would leak into the weight manager")
                    .isInstanceOf(IllegalStateException.class);
            BaseNDManager act = (BaseNDManager) m.manager();
            Generator g = new Generator(m);
            g.generateIds(List.of(new int[] {1, 2, 3}), GenerationConfig.greedy(4).withStopAtEos(false));
            int before = act.getManagedArrays().size();
            for (int i = 0; i < 5; i++) {
                try (NDScope ignored = new NDScope()) {
                    m.forward(TokenBatch.single(4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
                            Hooks.builder().capture(HookPoint.mlpPost(1), HookPoint.residPre(0)).build());
                }
                g.generateIds(List.of(new int[] {1, 2, 3}, new int[] {4}), GenerationConfig.greedy(4).withStopAtEos(false));
            }
            assertThat(act.getManagedArrays()).hasSize(before);
        }
    }

    @Test
    void fp16ComputeStaysCloseToFp32() {
        TokenBatch batch = TokenBatch.single(5, 300, 17, 42, 99, 256, 7, 401, 12, 88);
        for (String name : List.of("gpt2", "llama", "gpt_neox")) {
            float[] f32;
            float[] f16;
            try (LanguageModel m = ModelLoader.load(Fixtures.tiny(name)); NDScope ignored = new NDScope()) {
                f32 = m.forward(batch, Hooks.none()).logits().toFloatArray();
            }
            try (LanguageModel m = ModelLoader.load(Fixtures.tiny(name), ModelLoader.Options.ofDtype("fp16"));
                    NDScope ignored = new NDScope()) {
                assertThat(m.weights().get(m.architecture().layout().tokenEmbedding()).getDataType())
                        .isEqualTo(DataType.FLOAT16);
                NDArray logits = m.forward(batch, Hooks.none()).logits();
                assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT32);
                f16 = logits.toFloatArray();
            }
            assertThat(Fixtures.maxAbsDiff(f32, f16)).as("%s fp16 vs fp32", name).isLessThan(0.05);
        }
    }
}
