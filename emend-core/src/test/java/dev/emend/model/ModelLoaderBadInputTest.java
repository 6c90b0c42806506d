package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.ConfigException;
import dev.emend.Fixtures;
import dev.emend.ModelLoadException;
import dev.emend.UnsupportedArchitectureException;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.SafeTensorsException;
import dev.emend.tensor.StorageType;
import dev.emend.tokenizer.TokenBatch;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Broken model folders: each gives one Emend exception that names the file or every offending tensor and says what
 * to do, and a failed load leaves nothing behind that would break the next one.
 */
class ModelLoaderBadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String H = "transformer.h.";

    @TempDir
    Path tmp;

    /** Copies a fixture folder (flat, without the reference outputs) into a new folder of the temp dir. */
    Path copy(String fixture) {
        try (Stream<Path> files = Files.list(Fixtures.tiny(fixture))) {
            Path to = Files.createTempDirectory(tmp, fixture + "-");
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().startsWith("reference.")) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites a config.json through Jackson. */
    static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path f = dir.resolve("config.json");
        ObjectNode root = (ObjectNode) JSON.readTree(f.toFile());
        edit.accept(root);
        Files.writeString(f, root.toPrettyString());
    }

    /**
     * Rewrites a safetensors file: every tensor is loaded (float32), {@code edit} may remove, rename, replace or add
     * entries (new arrays from the given manager), and the result is written back with {@link SafeTensors#write}.
     */
    static void editWeights(Path file, BiConsumer<Map<String, NDArray>, NDManager> edit) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            SafeTensors.Header h = SafeTensors.readHeader(file);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (SafeTensors.TensorInfo t : h.tensors()) {
                tensors.put(t.name(), SafeTensors.load(m, h, t, DataType.FLOAT32));
            }
            edit.accept(tensors, m);
            List<SafeTensors.Entry> entries = new ArrayList<>();
            tensors.forEach((name, a) -> entries.add(new SafeTensors.Entry(name, a, StorageType.F32)));
            SafeTensors.write(file, entries, Map.of("format", "pt"));
        }
    }

    static NDArray zeros(NDManager m, long... shape) {
        return m.zeros(new Shape(shape));
    }

    // ---------------------------------------------------------------- config.json

    @Test
    void missingConfigIsNamed() throws IOException {
        Path dir = copy("gpt2");
        Files.delete(dir.resolve("config.json"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("does not exist")
                .hasMessageContaining("needs config.json, model.safetensors and tokenizer.json");
    }

    @Test
    void configThatIsNotJsonIsNamed() throws IOException {
        Path dir = copy("gpt2");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\", \"n_layer\": ");
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("not valid JSON")
                .hasMessageContaining("restore it from the original checkpoint");
        Files.writeString(dir.resolve("config.json"), "[1, 2]");
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("must hold a JSON object; restore it");
    }

    @Test
    void configWithoutModelTypeSaysWhatToAdd() throws IOException {
        Path dir = copy("gpt2");
        editConfig(dir, c -> c.remove("model_type"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("has no model_type; add it (e.g. \"gpt2\", \"llama\")");
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes() throws IOException {
        Path dir = copy("gpt2");
        editConfig(dir, c -> c.put("model_type", "bert"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(UnsupportedArchitectureException.class)
                .hasMessageContaining("model_type 'bert' is not supported")
                .hasMessageContaining("gpt2").hasMessageContaining("llama").hasMessageContaining("gpt_neox")
                .hasMessageContaining("Convert the checkpoint");
    }

    @Test
    void nonIntegerSizeNamesTheKeyAndValue() throws IOException {
        Path dir = copy("gpt2");
        editConfig(dir, c -> c.put("n_layer", "twelve"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("'n_layer' must be an integer, got \"twelve\"");
    }

    @ParameterizedTest
    @CsvSource({"gpt2, n_embd, n_head", "gptj, n_embd, n_head", "gpt_neox, hidden_size, num_attention_heads",
            "llama, hidden_size, num_attention_heads"})
    void headCountsThatDoNotDivideTheWidthAreRefusedAtLoad(String fixture, String width, String heads)
            throws IOException {
        Path dir = copy(fixture);
        editConfig(dir, c -> c.put(heads, 0));
        assertThatThrownBy(() -> ModelLoader.load(dir)).as("zero heads").isInstanceOf(ConfigException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("num_attention_heads must be positive, got 0");
        editConfig(dir, c -> {
            c.remove("head_dim");
            c.put(heads, 5);
            c.put(width, 64);
        });
        assertThatThrownBy(() -> ModelLoader.load(dir)).as("64 / 5").isInstanceOf(ConfigException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("hidden size 64 is not a multiple of the 5 attention heads");
    }

    // ---------------------------------------------------------------- tensors

    @Test
    void missingRenamedMisshapenAndExtraTensorsAreListedInOneMessage() {
        Path dir = copy("gpt2");
        editWeights(dir.resolve("model.safetensors"), (w, m) -> {
            w.remove(H + "0.mlp.c_fc.bias");
            w.remove(H + "2.ln_2.weight");
            w.put(H + "1.attn.c_proj.w", w.remove(H + "1.attn.c_proj.weight")); // renamed
            w.put(H + "0.attn.c_attn.weight", zeros(m, 64, 191));
            w.put("transformer.ln_f.bias", zeros(m, 65));
            w.put(H + "3.ln_1.weight", zeros(m, 64)); // a fourth layer config.json does not have
            w.put("score.weight", zeros(m, 2, 64));
        });
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir + " does not match its config.json (gpt2, 3 layers, d=64)")
                .hasMessageContaining("missing (3): ")
                .hasMessageContaining(H + "0.mlp.c_fc.bias [256]")
                .hasMessageContaining(H + "1.attn.c_proj.weight [64, 64]")
                .hasMessageContaining(H + "2.ln_2.weight [64]")
                .hasMessageContaining("wrong shape or type (2): ")
                .hasMessageContaining(H + "0.attn.c_attn.weight is [64, 191], expected [64, 192]")
                .hasMessageContaining("transformer.ln_f.bias is [65], expected [64]")
                .hasMessageContaining("unexpected (3): ")
                .hasMessageContaining(H + "1.attn.c_proj.w")
                .hasMessageContaining(H + "3.ln_1.weight")
                .hasMessageContaining("score.weight")
                .hasMessageContaining("restore both from the same checkpoint");
    }

    @Test
    void aSingleMisshapenLlamaTensorIsNamedWithBothShapes() {
        Path dir = copy("llama");
        editWeights(dir.resolve("model.safetensors"), (w, m) -> {
            w.put("model.layers.1.self_attn.k_proj.weight", zeros(m, 64, 64)); // MHA shape in a GQA model
            w.remove("model.norm.weight");
        });
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining("missing (1): model.norm.weight [64]")
                .hasMessageContaining("model.layers.1.self_attn.k_proj.weight is [64, 64], expected [32, 64]")
                .hasMessageNotContaining("unexpected");
    }

    @Test
    void truncatedWeightsAreNamed() throws IOException {
        Path dir = copy("gpt2");
        Path weights = dir.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(SafeTensorsException.class)
                .hasMessageContaining(weights.toString())
                .hasMessageContaining("the file is truncated")
                .hasMessageContaining("Re-download");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(5);
        }
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(SafeTensorsException.class)
                .hasMessageContaining(weights.toString())
                .hasMessageContaining("is 5 bytes long");
    }

    @Test
    void aTensorOverTwoGibibytesIsRefusedAfterLoadingStartedAndLeavesNothingBehind() throws IOException {
        Path dir = hugeMlpModel();
        long before = liveArrays();
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(SafeTensorsException.class)
                .hasMessageContaining(H + "0.mlp.c_fc.weight")
                .hasMessageContaining("bfloat16 or float16");
        assertThat(liveArrays()).as("arrays loaded before the failure are freed").isEqualTo(before);
    }

    /**
     * A GPT-2 folder whose config asks for an MLP of 2^27 + 1 units, so that {@code c_fc.weight} holds just over
     * 2 GiB. The weights file is sparse: it takes no disk space.
     */
    Path hugeMlpModel() throws IOException {
        Path dir = copy("gpt2");
        editConfig(dir, c -> {
            c.put("n_layer", 1);
            c.put("n_inner", (1 << 27) + 1);
        });
        Architecture arch = ModelFamilies.forModelType("gpt2")
                .create(HfConfig.read(dir.resolve("config.json")), Set.of());
        ModelConfig c = arch.config();
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, long[]> e : arch.layout().expectedTensors(c.vocabSize(), c.hiddenSize(),
                c.maxPositions()).entrySet()) {
            long bytes = 4;
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue()) {
                shape.add(d);
                bytes *= d;
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        Path weights = dir.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(0);
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            f.write(json);
            f.setLength(8 + json.length + offset);
        }
        return dir;
    }

    // ---------------------------------------------------------------- other files

    @Test
    void missingTokenizerSaysHowToMakeOne() throws IOException {
        Path dir = copy("gpt2");
        Files.delete(dir.resolve("tokenizer.json"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir + " has no tokenizer.json")
                .hasMessageContaining("save_pretrained");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "negative id        | token '!' has id -5, not a non-negative integer",
        "id beyond int      | token '!' has id 2147483647, not a non-negative integer",
        "id not a number    | token '!' has id \"zero\", not a non-negative integer",
        "added without text | has no content string",
        "added without id   | token '<|endoftext|>' has no id",
        "vocab not a map    | model.vocab is a string, not an object or an array",
        "no vocab           | has no model.vocab"})
    void aCorruptTokenizerIsNamed(String defect, String message) throws IOException {
        Path dir = copy("gpt2");
        Path file = dir.resolve("tokenizer.json");
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = (ObjectNode) model.get("vocab");
        ObjectNode added = (ObjectNode) root.get("added_tokens").get(0);
        switch (defect) {
            case "negative id" -> vocab.put("!", -5);
            case "id beyond int" -> vocab.put("!", Integer.MAX_VALUE);
            case "id not a number" -> vocab.put("!", "zero");
            case "added without text" -> added.remove("content");
            case "added without id" -> added.remove("id");
            case "vocab not a map" -> model.put("vocab", "x");
            case "no vocab" -> model.remove("vocab");
            default -> throw new IllegalArgumentException(defect);
        }
        Files.writeString(file, root.toString());
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining(message)
                .hasMessageContaining("from the original model");
    }

    @Test
    void tokenizerFilesThatAreNotJsonAreNamed() throws IOException {
        Path dir = copy("gpt2");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": ");
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("tokenizer_config.json").toString())
                .hasMessageContaining("fix or delete it");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json") + " is not readable JSON")
                .hasMessageContaining("restore it from the original model");
    }

    @Test
    void picklesAreRefusedWithTheReasonAndTheConversion() throws IOException {
        Path dir = copy("gpt2");
        Files.move(dir.resolve("model.safetensors"), dir.resolve("pytorch_model.bin"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir + " holds only pickled PyTorch weights (pytorch_model.bin)")
                .hasMessageContaining("unpickling can run arbitrary code")
                .hasMessageContaining("save_pretrained(dir) (writes model.safetensors)");
        Files.delete(dir.resolve("pytorch_model.bin"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir + " has no model.safetensors or model.safetensors.index.json")
                .hasMessageContaining("download");
    }

    @Test
    void everyMissingShardIsListed() throws IOException {
        Path dir = copy("gpt2_sharded");
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
        Files.delete(dir.resolve("model-00003-of-00003.safetensors"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.resolve("model.safetensors.index.json").toString())
                .hasMessageContaining("2 shard(s) that are missing: "
                        + "model-00002-of-00003.safetensors, model-00003-of-00003.safetensors")
                .hasMessageContaining("download every shard");
    }

    @Test
    void aTensorInTwoShardsIsRefused() {
        Path dir = copy("gpt2_sharded");
        editWeights(dir.resolve("model-00003-of-00003.safetensors"),
                (w, m) -> w.put(H + "0.ln_1.weight", zeros(m, 64)));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining("1 tensor(s) are stored in more than one shard: " + H
                        + "0.ln_1.weight (model-00001-of-00003.safetensors and model-00003-of-00003.safetensors)")
                .hasMessageContaining("download the model again");
    }

    @Test
    void aBadIndexIsNamed() throws IOException {
        Path dir = copy("gpt2_sharded");
        Path index = dir.resolve("model.safetensors.index.json");
        ObjectNode root = (ObjectNode) JSON.readTree(index.toFile());
        ((ObjectNode) root.get("weight_map")).put(H + "0.ln_1.weight", "model\u0000.safetensors");
        Files.writeString(index, root.toString());
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(index.toString())
                .hasMessageContaining("not a file name");
        ((ObjectNode) root.get("weight_map")).put(H + "0.ln_1.weight", 3);
        Files.writeString(index, root.toString());
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining("weight_map maps '" + H + "0.ln_1.weight' to 3, not a file name");
        Files.writeString(index, "{\"weight_map\": [");
        assertThatThrownBy(() -> ModelLoader.load(dir)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining(index + " is not valid JSON")
                .hasMessageContaining("restore it");
    }

    // ---------------------------------------------------------------- nothing leaks

    static long liveArrays() {
        try (NDManager probe = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            return ((BaseNDManager) probe.getParentManager()).getManagedArrays().size();
        }
    }

    static long openFiles() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1; // not Linux: only the arrays are counted
        }
        try (Stream<Path> s = Files.list(fds)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void failedLoadsLeaveNoArraysOrOpenFilesAndAGoodModelLoadsAfterwards() throws IOException {
        List<Path> broken = new ArrayList<>();
        Path missing = copy("llama");
        editWeights(missing.resolve("model.safetensors"), (w, m) -> w.remove("model.norm.weight"));
        broken.add(missing);
        Path noTokenizer = copy("gpt2");
        Files.delete(noTokenizer.resolve("tokenizer.json"));
        broken.add(noTokenizer);
        Path truncated = copy("gpt_neox");
        try (RandomAccessFile f = new RandomAccessFile(truncated.resolve("model.safetensors").toFile(), "rw")) {
            f.setLength(f.length() - 1);
        }
        broken.add(truncated);
        broken.add(hugeMlpModel());

        for (Path dir : broken) { // warm-up: classes and engine loaded once
            assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(ModelLoadException.class);
        }
        long arrays = liveArrays();
        long files = openFiles();
        for (int i = 0; i < 3; i++) {
            for (Path dir : broken) {
                assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(ModelLoadException.class);
            }
        }
        assertThat(liveArrays()).isEqualTo(arrays);
        assertThat(openFiles()).isEqualTo(files);

        try (LanguageModel m = ModelLoader.load(Fixtures.tiny("llama")); NDScope ignored = new NDScope()) {
            NDArray logits = m.forward(TokenBatch.single(1, 2, 3), Hooks.none()).logits();
            assertThat(logits.getShape()).isEqualTo(new Shape(1, 3, 512));
            assertThat(logits.isNaN().any().getBoolean()).isFalse();
        }
        assertThat(liveArrays()).isEqualTo(arrays);
    }
}
