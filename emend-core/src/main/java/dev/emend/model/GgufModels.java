package dev.emend.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import dev.emend.ModelLoadException;
import dev.emend.UnsupportedArchitectureException;
import dev.emend.gguf.GgmlDequant;
import dev.emend.gguf.GgmlType;
import dev.emend.gguf.GgufFile;
import dev.emend.gguf.GgufMetadata;
import dev.emend.gguf.GgufTensorInfo;
import dev.emend.gguf.GgufWriter;
import dev.emend.model.llama.LlamaGguf;
import dev.emend.tensor.StorageType;
import dev.emend.tokenizer.GgufTokenizers;
import dev.emend.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * GGUF files as Emend models, both ways: {@link #load} reads a llama.cpp model file into a {@link LanguageModel}
 * (through the same family, layout and forward pass as an HF folder), {@link #save} writes a possibly edited model
 * as GGUF, and {@link #writeHfFiles} gives the HF {@code config.json} and tokenizer files a GGUF file describes.
 *
 * <p>Architecture knowledge stays with the families: the registry below maps {@code general.architecture} to a
 * {@link GgufFamily} ({@link LlamaGguf} next to the llama family), which names tensors and keys; the tokenizer comes
 * from {@link GgufTokenizers}.
 *
 * <p>Memory: every tensor is dequantised to float32 at load (or float16 with that compute type), so a model takes 4
 * (or 2) bytes per parameter whatever its file's quantisation: SmolLM2-135M in Q4_1 is a 94 MB file and 540 MB of
 * weights in memory (plus the file pages the OS caches while reading). Nothing stays mapped after loading.
 */
public final class GgufModels {
    private static final List<GgufFamily> FAMILIES = List.of(new LlamaGguf());
    private static final ObjectMapper JSON = new ObjectMapper();

    private GgufModels() {}

    /**
     * @param path a path
     * @return true if it is a regular file named {@code *.gguf} or starting with the GGUF magic (a damaged
     *     {@code .gguf} file then gets the GGUF reader's precise error)
     */
    public static boolean isGguf(Path path) {
        if (!Files.isRegularFile(path)) {
            return false;
        }
        if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            return true;
        }
        try (InputStream in = Files.newInputStream(path)) {
            return Arrays.equals(in.readNBytes(4), new byte[] {'G', 'G', 'U', 'F'});
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * @param architecture a {@code general.architecture} value
     * @return its family mapping
     * @throws UnsupportedArchitectureException naming it and the supported ones
     */
    public static GgufFamily forArchitecture(String architecture) {
        for (GgufFamily f : FAMILIES) {
            if (f.architecture().equals(architecture)) {
                return f;
            }
        }
        throw new UnsupportedArchitectureException(("GGUF architecture '%s' is not supported; supported: %s. Convert the "
                + "original HF checkpoint instead if its model_type is supported, or open an issue.").formatted(
                        architecture, FAMILIES.stream().map(GgufFamily::architecture).toList()));
    }

    /**
     * @param modelType an HF {@code model_type}
     * @return the GGUF mapping that can write it
     * @throws UnsupportedArchitectureException if none can
     */
    public static GgufFamily forModelType(String modelType) {
        for (GgufFamily f : FAMILIES) {
            if (f.modelTypes().contains(modelType)) {
                return f;
            }
        }
        TreeSet<String> known = new TreeSet<>();
        FAMILIES.forEach(f -> known.addAll(f.modelTypes()));
        throw new UnsupportedArchitectureException(("model_type '%s' cannot be written as GGUF yet; supported: %s. Save "
                + "it as an HF folder instead (emend convert --out DIR).").formatted(modelType, known));
    }

    /**
     * Loads a GGUF model file. Tensors of every type {@link GgmlType#isDequantizable()} are dequantised (see the
     * memory note above) and llama.cpp's reorderings undone, so the weights are the checkpoint's, under its HF names.
     *
     * @param file a .gguf file
     * @param options compute type
     * @return the model; close it
     * @throws ModelLoadException naming the file, the tensors or keys at fault, and the remedy
     */
    public static LanguageModel load(Path file, ModelLoader.Options options) {
        GgufFile gguf = GgufFile.read(file);
        GgufFamily gf = forArchitecture(gguf.metadata().getString("general.architecture"));
        HfConfig config = new HfConfig(gf.hfConfig(gguf), file + " (GGUF metadata)");
        Map<String, GgufTensorInfo> byHf = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (GgufTensorInfo t : gguf.tensors()) {
            String hf = gf.hfName(t.name());
            if (hf == null) {
                unknown.add(t.name());
            } else {
                byHf.put(hf, t);
            }
        }
        Architecture arch = ModelFamilies.forModelType(config.optString("model_type", null)).create(config, byHf.keySet());
        ModelConfig c = arch.config();
        Map<String, long[]> expected = arch.layout().expectedTensors(c.vocabSize(), c.hiddenSize(), c.maxPositions());
        validate(gguf, gf, arch, expected, byHf, unknown);
        Tokenizer tokenizer = GgufTokenizers.load(gguf.metadata(), file);
        NDManager root = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            WeightStore store = new WeightStore(root, options.computeType());
            for (String name : expected.keySet()) {
                GgufTensorInfo t = byHf.get(name);
                NDArray a = gf.reorders(name)
                        ? store.loadManager().create(gf.fromGguf(name, gguf.dequantize(t), c), t.djlShape())
                        : gguf.load(store.loadManager(), t);
                if (options.computeType() != DataType.FLOAT32) {
                    NDArray narrow = a.toType(options.computeType(), false);
                    a.close();
                    a = narrow;
                }
                a.setName(name);
                store.addLoaded(name, a, storedType(t.type()), file);
            }
            store.seal();
            return new TransformerModel(file, arch, tokenizer, store, root.newSubManager());
        } catch (RuntimeException e) {
            root.close();
            tokenizer.close();
            throw e;
        }
    }

    /** The lossless storage type of a dequantised tensor: its own for F16/BF16, float32 for everything else. */
    private static StorageType storedType(GgmlType t) {
        return switch (t) {
            case F16 -> StorageType.F16;
            case BF16 -> StorageType.BF16;
            default -> StorageType.F32;
        };
    }

    /** Presence, shapes and types of every tensor; all problems in one message, GGUF names first. */
    private static void validate(GgufFile gguf, GgufFamily gf, Architecture arch, Map<String, long[]> expected,
            Map<String, GgufTensorInfo> found, List<String> unknown) {
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            GgufTensorInfo t = found.get(e.getKey());
            if (t == null) {
                missing.add("%s (%s) %s".formatted(gf.ggufName(e.getKey()), e.getKey(), Arrays.toString(e.getValue())));
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                wrong.add("%s is %s, expected %s".formatted(t.name(), Arrays.toString(t.shape()),
                        Arrays.toString(e.getValue())));
            } else if (!t.type().isDequantizable()) {
                wrong.add("%s is stored as %s, which Emend cannot dequantise yet".formatted(t.name(), t.type()));
            }
        }
        Set<String> extra = new TreeSet<>(unknown);
        found.forEach((hf, t) -> {
            if (!expected.containsKey(hf) && !arch.isIgnorable(hf)) {
                extra.add(t.name());
            }
        });
        if (missing.isEmpty() && wrong.isEmpty() && extra.isEmpty()) {
            return;
        }
        ModelConfig c = arch.config();
        StringBuilder sb = new StringBuilder("%s does not match its own metadata (%s, %d layers, d=%d, vocab %d):"
                .formatted(gguf.file(), gf.architecture(), c.numLayers(), c.hiddenSize(), c.vocabSize()));
        if (!missing.isEmpty()) {
            sb.append("\n  missing (").append(missing.size()).append("): ").append(String.join(", ", missing));
        }
        if (!wrong.isEmpty()) {
            sb.append("\n  wrong shape or type (").append(wrong.size()).append("): ").append(String.join("; ", wrong));
        }
        if (!extra.isEmpty()) {
            sb.append("\n  unexpected (").append(extra.size()).append("): ").append(String.join(", ", extra));
        }
        sb.append("\n  The file is truncated, was written by a tool that does not follow llama.cpp's names, or holds a "
                + "variant Emend does not support (supported types: ").append(GgmlType.dequantizableNames())
                .append("). Re-download it, or re-convert the model with llama.cpp's convert_hf_to_gguf.py.");
        throw new ModelLoadException(sb.toString());
    }

    /**
     * Writes a model as a GGUF file that llama.cpp, gguf-py and Emend read: the architecture's metadata, the
     * tokenizer (copied from the source GGUF file, or converted from the source folder's tokenizer.json), general
     * info, and every parameter under its GGUF name with llama.cpp's reorderings re-applied. One-dimensional tensors
     * (norms, biases) are always F32, as llama.cpp writes them; matrices use {@code type}, and F16 where Q8_0's
     * 32-value blocks do not divide a row.
     *
     * @param model the model, possibly edited (current values are written)
     * @param out the .gguf file to write (replaced if it exists)
     * @param type F32, F16 or Q8_0
     * @throws UnsupportedArchitectureException if the model's family cannot be written as GGUF
     * @throws EmendException if the file cannot be written
     */
    public static void save(LanguageModel model, Path out, GgmlType type) {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.Q8_0) {
            throw new IllegalArgumentException("GGUF output type must be F32, F16 or Q8_0, got " + type);
        }
        ModelConfig c = model.config();
        GgufFamily gf = forModelType(c.modelType());
        GgufWriter w = new GgufWriter();
        Path src = model.source();
        GgufMetadata srcMeta = isGguf(src) ? GgufFile.read(src).metadata() : null;
        gf.writeMetadata(c, w);
        String name = srcMeta != null && srcMeta.has("general.name") ? srcMeta.getString("general.name")
                : src.getFileName().toString();
        w.putString("general.name", name);
        if (srcMeta != null) {
            for (String k : srcMeta.keys()) {
                boolean general = k.startsWith("general.") && !w.keys().contains(k) && !k.equals("general.file_type")
                        && !k.equals("general.quantization_version") && !k.equals(GgufFile.ALIGNMENT_KEY);
                if (general || k.startsWith("tokenizer.")) {
                    w.copy(srcMeta, k);
                }
            }
        } else {
            GgufTokenizers.toGguf(src, c.vocabSize(), w);
        }
        w.putUint32("general.file_type", switch (type) {
            case F32 -> 0; // LLAMA_FTYPE_ALL_F32
            case F16 -> 1; // LLAMA_FTYPE_MOSTLY_F16
            default -> 7; // LLAMA_FTYPE_MOSTLY_Q8_0
        });
        w.putUint32("general.quantization_version", 2); // GGML_QNT_VERSION
        WeightStore weights = model.weights();
        for (String hf : weights.names()) {
            NDArray a = weights.get(hf);
            long[] shape = a.getShape().getShape();
            GgmlType t = shape.length < 2 ? GgmlType.F32
                    : type == GgmlType.Q8_0 && shape[shape.length - 1] % 32 != 0 ? GgmlType.F16 : type;
            w.addTensor(gf.ggufName(hf), shape, t, () -> gf.toGguf(hf, floats(a), c));
        }
        w.write(out);
    }

    /** The values of a float32 or float16 array, without creating arrays (weight managers are capped). */
    private static float[] floats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        if (a.getDataType() != DataType.FLOAT16) {
            throw new IllegalStateException("weights are float32 or float16, got " + a.getDataType());
        }
        ShortBuffer s = a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asShortBuffer();
        float[] out = new float[s.remaining()];
        for (int i = 0; i < out.length; i++) {
            out[i] = GgmlDequant.halfToFloat(s.get(i));
        }
        return out;
    }

    /**
     * Writes the HF side files a GGUF file describes into a folder: {@code config.json} (what transformers derives
     * from the metadata), {@code tokenizer.json}, {@code tokenizer_config.json} (with the chat template) and
     * {@code generation_config.json}. With a {@code model.safetensors} beside them the folder is an HF checkpoint.
     *
     * @param gguf the GGUF file
     * @param dir an existing folder
     * @param dtype the {@code dtype} to record in config.json ("float32", "float16" or "bfloat16")
     * @throws EmendException if a file cannot be written
     */
    public static void writeHfFiles(Path gguf, Path dir, String dtype) {
        GgufFile f = GgufFile.read(gguf);
        ObjectNode config = forArchitecture(f.metadata().getString("general.architecture")).hfConfig(f);
        config.put("dtype", dtype);
        try {
            Files.writeString(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            GgufTokenizers.fromGguf(f.metadata(), gguf).writeTo(dir);
        } catch (IOException e) {
            throw new EmendException("cannot write the HF files of %s to %s: %s; check the folder is writable"
                    .formatted(gguf, dir, e.getMessage()), e);
        }
    }
}
