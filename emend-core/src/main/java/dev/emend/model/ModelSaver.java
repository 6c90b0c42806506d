package dev.emend.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a model back to an HF folder that transformers loads: the same shard files as the source (and its
 * {@code model.safetensors.index.json}), every tensor under its checkpoint name and, by default, in its stored
 * dtype, so unchanged tensors are bit-identical to the source. Config, tokenizer and generation files are copied.
 *
 * <p>{@link Options#changedOnly()} rewrites only the shards that hold a modified parameter and copies the others
 * byte for byte; saving into the source folder then touches only those shards (written to a temporary file and
 * moved into place, so a model still mapping the old file keeps working).
 */
public final class ModelSaver {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelSaver() {}

    /**
     * Save options.
     *
     * @param dtype store every floating tensor as this type, or null to keep each tensor's stored type
     * @param changedOnly rewrite only shards holding modified parameters; copy the rest
     */
    public record Options(StorageType dtype, boolean changedOnly) {
        /** Accepts only floating storage types. */
        public Options {
            if (dtype != null && !dtype.isFloating()) {
                throw new IllegalArgumentException("save dtype must be F32, F16 or BF16, got " + dtype);
            }
        }

        /** @return a full save in stored dtypes */
        public static Options full() {
            return new Options(null, false);
        }

        /** @return a save that rewrites only shards with modified parameters */
        public static Options changedShards() {
            return new Options(null, true);
        }
    }

    /**
     * Saves a model.
     *
     * @param model the model, possibly edited
     * @param out destination folder (created if needed; may be the source folder)
     * @param options dtype and scope
     * @return the shard files written (not copied)
     */
    public static List<Path> save(LanguageModel model, Path out, Options options) {
        WeightStore w = model.weights();
        Path src = model.source();
        if (Files.isRegularFile(src)) {
            return saveFromGguf(model, out, options);
        }
        try {
            Files.createDirectories(out);
            boolean sameFolder = Files.isSameFile(src, out);
            Map<Path, List<String>> shards = new LinkedHashMap<>();
            for (String name : w.names()) {
                shards.computeIfAbsent(w.file(name), f -> new ArrayList<>()).add(name);
            }
            List<Path> written = new ArrayList<>();
            for (Map.Entry<Path, List<String>> shard : shards.entrySet()) {
                Path target = out.resolve(shard.getKey().getFileName());
                boolean dirty = options.dtype() != null || !sameFolder && !options.changedOnly()
                        || shard.getValue().stream().anyMatch(w::isModified);
                if (dirty) {
                    List<SafeTensors.Entry> entries = new ArrayList<>();
                    for (String name : shard.getValue()) {
                        NDArray a = w.get(name);
                        StorageType as = options.dtype() != null ? options.dtype() : w.storedType(name);
                        entries.add(new SafeTensors.Entry(name, a, as));
                    }
                    SafeTensors.write(target, entries, Map.of("format", "pt"));
                    written.add(target);
                } else if (!sameFolder) {
                    Files.copy(shard.getKey(), target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (!sameFolder) {
                copySideFiles(src, out, shards.keySet());
            }
            if (options.dtype() != null) {
                rewriteConfigDtype(out.resolve("config.json"), options.dtype());
                rewriteIndexTotalSize(out.resolve("model.safetensors.index.json"), w, options.dtype());
            }
            return written;
        } catch (IOException e) {
            throw new EmendException("cannot save the model to %s: %s; check the folder is writable and has space"
                    .formatted(out, e.getMessage()), e);
        }
    }

    /**
     * A model loaded from a GGUF file becomes one {@code model.safetensors} (every parameter, float32 unless another
     * dtype is asked for) plus the config and tokenizer files the GGUF metadata describes.
     */
    private static List<Path> saveFromGguf(LanguageModel model, Path out, Options options) {
        WeightStore w = model.weights();
        StorageType as = options.dtype() != null ? options.dtype() : StorageType.F32;
        try {
            Files.createDirectories(out);
            List<SafeTensors.Entry> entries = new ArrayList<>();
            for (String name : w.names()) {
                entries.add(new SafeTensors.Entry(name, w.get(name), as));
            }
            Path target = out.resolve("model.safetensors");
            SafeTensors.write(target, entries, Map.of("format", "pt"));
            GgufModels.writeHfFiles(model.source(), out, dtypeName(as));
            return List.of(target);
        } catch (IOException e) {
            throw new EmendException("cannot save the model to %s: %s; check the folder is writable and has space"
                    .formatted(out, e.getMessage()), e);
        }
    }

    private static String dtypeName(StorageType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalStateException(dtype.name());
        };
    }

    /** Copies config, tokenizer, generation config, index and any other non-weight file. */
    private static void copySideFiles(Path src, Path out, Set<Path> weightFiles) throws IOException {
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                boolean weight = weightFiles.stream().anyMatch(p -> p.getFileName().toString().equals(n));
                boolean pickle = n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth");
                if (Files.isRegularFile(f) && !weight && !pickle) {
                    Files.copy(f, out.resolve(n), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void rewriteIndexTotalSize(Path index, WeightStore w, StorageType dtype) throws IOException {
        if (!Files.isRegularFile(index)) {
            return;
        }
        ObjectNode root = (ObjectNode) JSON.readTree(index.toFile());
        long total = 0;
        for (String name : w.names()) {
            total += w.get(name).size() * dtype.bytes();
        }
        root.withObject("/metadata").put("total_size", total);
        Files.writeString(index, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    private static void rewriteConfigDtype(Path config, StorageType dtype) throws IOException {
        if (!Files.isRegularFile(config)) {
            return;
        }
        ObjectNode root = (ObjectNode) JSON.readTree(config.toFile());
        String name = dtypeName(dtype);
        if (root.has("torch_dtype")) {
            root.put("torch_dtype", name);
        }
        root.put("dtype", name);
        Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }
}
