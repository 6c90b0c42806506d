package dev.emend.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.ModelLoadException;
import dev.emend.tensor.SafeTensors;
import dev.emend.tokenizer.HfTokenizer;
import dev.emend.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Loads an HF checkpoint folder: {@code config.json} picks the family by {@code model_type}; weights come from
 * {@code model.safetensors} or the shards of {@code model.safetensors.index.json}, memory-mapped; the tokenizer from
 * {@code tokenizer.json}. Every expected tensor is checked for presence and shape, and all problems are reported in
 * one message. Pickled {@code .bin} weights are refused. A {@code .gguf} file is loaded by {@link GgufModels#load}
 * (dequantised to the compute type; see its memory note).
 */
public final class ModelLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelLoader() {}

    /**
     * Options for loading.
     *
     * @param computeType FLOAT32 (default) or FLOAT16
     */
    public record Options(DataType computeType) {
        /** Validates the compute type. */
        public Options {
            if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16) {
                throw new IllegalArgumentException("compute dtype must be float32 or float16, got " + computeType);
            }
        }

        /** @return float32 compute */
        public static Options defaults() {
            return new Options(DataType.FLOAT32);
        }

        /**
         * Parses a user-facing dtype name.
         *
         * @param name fp32, float32, fp16 or float16
         * @return the options
         */
        public static Options ofDtype(String name) {
            return switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "fp32", "float32", "f32" -> new Options(DataType.FLOAT32);
                case "fp16", "float16", "f16", "half" -> new Options(DataType.FLOAT16);
                default -> throw new IllegalArgumentException("dtype '%s' is not supported; use fp32 or fp16".formatted(name));
            };
        }
    }

    /**
     * Loads a model in float32.
     *
     * @param dir an HF model folder, or a GGUF file
     * @return the model; close it to free native memory
     */
    public static LanguageModel load(Path dir) {
        return load(dir, Options.defaults());
    }

    /**
     * Loads a model.
     *
     * @param dir an HF model folder, or a GGUF file
     * @param options compute type
     * @return the model; close it to free native memory
     * @throws ModelLoadException naming the file or tensors at fault and the remedy
     */
    public static LanguageModel load(Path dir, Options options) {
        if (GgufModels.isGguf(dir)) {
            return GgufModels.load(dir, options);
        }
        if (!Files.isDirectory(dir)) {
            throw new ModelLoadException(Files.exists(dir)
                    ? ("%s is a file but not a GGUF file; pass the model folder (config.json, model.safetensors, "
                            + "tokenizer.json) or a .gguf file").formatted(dir)
                    : ("%s does not exist; pass the model folder (config.json, model.safetensors, tokenizer.json) or a "
                            + ".gguf file").formatted(dir));
        }
        HfConfig config = HfConfig.read(dir.resolve("config.json"));
        String modelType = config.optString("model_type", null);
        if (modelType == null) {
            throw new ModelLoadException("%s has no model_type; add it (e.g. \"gpt2\", \"llama\")"
                    .formatted(dir.resolve("config.json")));
        }
        ModelFamily family = ModelFamilies.forModelType(modelType);
        Map<String, SafeTensors.Header> shards = readShards(dir);
        Map<String, SafeTensors.TensorInfo> infos = new LinkedHashMap<>();
        Map<String, SafeTensors.Header> owner = new LinkedHashMap<>();
        List<String> duplicated = new ArrayList<>();
        for (SafeTensors.Header h : shards.values()) {
            for (SafeTensors.TensorInfo t : h.tensors()) {
                infos.put(t.name(), t);
                SafeTensors.Header first = owner.putIfAbsent(t.name(), h);
                if (first != null) {
                    duplicated.add("%s (%s and %s)".formatted(t.name(), first.file().getFileName(),
                            h.file().getFileName()));
                }
            }
        }
        if (!duplicated.isEmpty()) {
            throw new ModelLoadException(("%s: %d tensor(s) are stored in more than one shard: %s. The shards come from "
                    + "different downloads; download the model again.")
                    .formatted(dir, duplicated.size(), String.join(", ", duplicated)));
        }
        Architecture arch = family.create(config, infos.keySet());
        ModelConfig c = arch.config();
        Map<String, long[]> expected = arch.layout().expectedTensors(c.vocabSize(), c.hiddenSize(), c.maxPositions());
        validate(dir, arch, expected, infos);
        Tokenizer tokenizer = HfTokenizer.load(dir);
        NDManager root = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
        try {
            WeightStore store = new WeightStore(root, options.computeType());
            for (String name : expected.keySet()) {
                SafeTensors.TensorInfo info = infos.get(name);
                SafeTensors.Header h = owner.get(name);
                NDArray a = SafeTensors.load(store.loadManager(), h, info, options.computeType());
                store.addLoaded(name, a, info.type(), h.file());
            }
            store.seal();
            return new TransformerModel(dir, arch, tokenizer, store, root.newSubManager());
        } catch (RuntimeException e) {
            root.close();
            tokenizer.close();
            throw e;
        }
    }

    /** Reads the header of every weight file, refusing pickled checkpoints. */
    static Map<String, SafeTensors.Header> readShards(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, SafeTensors.Header> out = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            Set<String> files = shardFiles(index);
            List<String> missing = new ArrayList<>();
            for (String shard : files) {
                if (!Files.isRegularFile(shardPath(dir, index, shard))) {
                    missing.add(shard);
                }
            }
            if (!missing.isEmpty()) {
                throw new ModelLoadException("%s lists %d shard(s) that are missing: %s; download every shard"
                        .formatted(index, missing.size(), String.join(", ", missing)));
            }
            for (String shard : files) {
                out.put(shard, SafeTensors.readHeader(shardPath(dir, index, shard)));
            }
            return out;
        }
        if (Files.isRegularFile(single)) {
            out.put(single.getFileName().toString(), SafeTensors.readHeader(single));
            return out;
        }
        List<String> pickles = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt"))
                    .sorted()
                    .forEach(pickles::add);
        } catch (IOException e) {
            throw new ModelLoadException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (!pickles.isEmpty()) {
            throw new ModelLoadException(("%s holds only pickled PyTorch weights (%s). Emend never loads pickles: "
                    + "unpickling can run arbitrary code. Convert once with Python: "
                    + "AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir) (writes model.safetensors).")
                    .formatted(dir, String.join(", ", pickles)));
        }
        throw new ModelLoadException(("%s has no model.safetensors or model.safetensors.index.json; download the "
                + "weights into the folder (huggingface-cli download <model> --local-dir %s)").formatted(dir, dir));
    }

    /** Resolves a shard named in the index; a name that is no file name is an error, not an InvalidPathException. */
    private static Path shardPath(Path dir, Path index, String shard) {
        try {
            return dir.resolve(shard);
        } catch (InvalidPathException e) {
            throw new ModelLoadException("%s names shard \"%s\", which is not a file name (%s); restore the index file"
                    .formatted(index, shard, e.getReason()), e);
        }
    }

    private static Set<String> shardFiles(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("%s is not valid JSON (%s); restore it from the original checkpoint"
                    .formatted(index, e.getMessage().lines().findFirst().orElse("")), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelLoadException("%s has no weight_map object; restore it from the original checkpoint"
                    .formatted(index));
        }
        Set<String> files = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelLoadException(
                        "%s: weight_map maps '%s' to %s, not a file name; restore it from the original checkpoint"
                                .formatted(index, e.getKey(), e.getValue()));
            }
            files.add(e.getValue().asText());
        }
        return files;
    }

    /** Checks presence and shapes; reports every missing, misshapen and unexpected tensor at once. */
    static void validate(Path dir, Architecture arch, Map<String, long[]> expected,
            Map<String, SafeTensors.TensorInfo> found) {
        List<String> missing = new ArrayList<>();
        List<String> misshapen = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafeTensors.TensorInfo t = found.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey() + " " + Arrays.toString(e.getValue()));
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                misshapen.add("%s is %s, expected %s".formatted(e.getKey(), Arrays.toString(t.shape()),
                        Arrays.toString(e.getValue())));
            } else if (!t.type().isFloating()) {
                misshapen.add("%s is stored as %s, expected a floating type".formatted(e.getKey(), t.type()));
            }
        }
        Set<String> extra = new TreeSet<>();
        for (String name : found.keySet()) {
            if (!expected.containsKey(name) && !arch.isIgnorable(name)) {
                extra.add(name);
            }
        }
        if (missing.isEmpty() && misshapen.isEmpty() && extra.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("%s does not match its config.json (%s, %d layers, d=%d):"
                .formatted(dir, arch.family(), arch.config().numLayers(), arch.config().hiddenSize()));
        if (!missing.isEmpty()) {
            sb.append("\n  missing (").append(missing.size()).append("): ").append(String.join(", ", missing));
        }
        if (!misshapen.isEmpty()) {
            sb.append("\n  wrong shape or type (").append(misshapen.size()).append("): ").append(String.join("; ", misshapen));
        }
        if (!extra.isEmpty()) {
            sb.append("\n  unexpected (").append(extra.size()).append("): ").append(String.join(", ", extra));
        }
        sb.append("\n  The weights and config.json come from different models or a partial download; restore both from the same checkpoint.");
        throw new ModelLoadException(sb.toString());
    }
}
