package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.emend.Fixtures;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving writes loadable HF folders: bit-identical unchanged tensors, aligned headers, changed shards only. */
class ModelSaverTest {
    @TempDir
    Path tmp;

    static float[] logits(LanguageModel m) {
        try (NDScope ignored = new NDScope()) {
            return m.forward(TokenBatch.single(1, 2, 3, 4, 5, 6, 7), Hooks.none()).logits().toFloatArray();
        }
    }

    @Test
    void fullSaveReloadsWithIdenticalLogitsAndBytes() throws IOException {
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny("llama_bf16"))) {
            float[] before = logits(m);
            Path out = tmp.resolve("saved");
            ModelSaver.save(m, out, ModelSaver.Options.full());
            assertThat(out.resolve("config.json")).exists();
            assertThat(out.resolve("tokenizer.json")).exists();
            assertSameTensorBytes(Fixtures.tiny("llama_bf16").resolve("model.safetensors"), out.resolve("model.safetensors"));
            try (LanguageModel r = ModelLoader.load(out)) {
                assertThat(logits(r)).containsExactly(before);
                for (String n : m.weights().names()) {
                    assertThat(r.weights().storedType(n)).isEqualTo(StorageType.BF16);
                }
            }
            assertHeaderAligned(out.resolve("model.safetensors"));
        }
    }

    @Test
    void changedOnlyRewritesJustTheShardHoldingTheEdit() throws IOException {
        Path src = Fixtures.tiny("gpt2_sharded");
        try (LanguageModel m = ModelLoader.load(src)) {
            WeightRef target = m.architecture().weight(HookPoint.Site.MLP_POST, 1);
            NDArray edited;
            try (NDScope ignored = new NDScope()) {
                edited = Tensors.apply(m.weights().get(target.name()), m.manager(), w -> w.add(0.25f));
                NDScope.unregister(edited);
            }
            m.weights().replace(target.name(), edited);
            float[] after = logits(m);
            Path out = tmp.resolve("changed");
            List<Path> written = ModelSaver.save(m, out, ModelSaver.Options.changedShards());
            assertThat(written).hasSize(1);
            Path shard = written.get(0);
            assertThat(m.weights().file(target.name()).getFileName()).isEqualTo(shard.getFileName());
            try (var files = Files.list(src)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String n = f.getFileName().toString();
                    if (n.startsWith("model-") && !n.equals(shard.getFileName().toString())) {
                        assertThat(Files.readAllBytes(out.resolve(n))).as(n).isEqualTo(Files.readAllBytes(f));
                    }
                }
            }
            try (LanguageModel r = ModelLoader.load(out)) {
                assertThat(logits(r)).containsExactly(after);
            }
        }
    }

    @Test
    void dtypeConversionOnSave() throws IOException {
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny("qwen2"))) {
            Path out = tmp.resolve("f16");
            ModelSaver.save(m, out, new ModelSaver.Options(StorageType.F16, false));
            SafeTensors.Header h = SafeTensors.readHeader(out.resolve("model.safetensors"));
            assertThat(h.tensors()).allMatch(t -> t.type() == StorageType.F16);
            assertThat(Files.readString(out.resolve("config.json"))).contains("\"float16\"");
            try (LanguageModel r = ModelLoader.load(out)) {
                assertThat(Fixtures.maxAbsDiff(logits(m), logits(r))).isLessThan(0.05);
            }
        }
    }

    /** BF16 widened on load and narrowed on save: every tensor's bytes are identical to the source's. */
    static void assertSameTensorBytes(Path expected, Path actual) throws IOException {
        SafeTensors.Header e = SafeTensors.readHeader(expected);
        SafeTensors.Header a = SafeTensors.readHeader(actual);
        assertThat(a.tensors()).hasSameSizeAs(e.tensors());
        for (SafeTensors.TensorInfo t : e.tensors()) {
            SafeTensors.TensorInfo u = a.find(t.name());
            assertThat(u).as(t.name()).isNotNull();
            assertThat(u.type()).isEqualTo(t.type());
            assertThat(SafeTensors.map(a, u)).as(t.name()).isEqualTo(SafeTensors.map(e, t));
        }
    }

    static void assertHeaderAligned(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            assertThat(b.getLong(0) % 8).isZero();
        }
    }
}
