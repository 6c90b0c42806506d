package dev.emend.gguf;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes a GGUF v3 file: typed metadata in insertion order, then tensors in insertion order, each stored as F32, F16
 * or Q8_0 ({@link GgmlQuant}) at an offset aligned to {@code general.alignment} (32 unless set). The layout is the
 * one {@link GgufFile} documents and gguf-py's {@code GGUFWriter} produces; the same input always gives the same
 * bytes.
 *
 * <p>Tensor values are asked for one tensor at a time while writing, so a model is never held twice in memory. The
 * file is written to a temporary sibling and moved into place, so a failed write leaves no partial file.
 *
 * <pre>
 * GgufWriter w = new GgufWriter();
 * w.putString("general.architecture", "llama").putUint32("llama.block_count", 30);
 * w.addTensor("token_embd.weight", new long[] {V, D}, GgmlType.Q8_0, () -&gt; values);   // row-major shape
 * w.write(Path.of("model.gguf"));
 * </pre>
 */
public final class GgufWriter {
    private record Value(GgufValueType type, Object value) {}

    private record Tensor(String name, long[] shape, GgmlType type, Supplier<float[]> values) {
        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** Creates an empty writer (alignment 32). */
    public GgufWriter() {}

    /**
     * @param key metadata key
     * @param value the string
     * @return this writer
     */
    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    /**
     * @param key metadata key
     * @param value 0 .. 2^32-1
     * @return this writer
     */
    public GgufWriter putUint32(String key, long value) {
        if (value < 0 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("%s: %d does not fit a UINT32".formatted(key, value));
        }
        return put(key, GgufValueType.UINT32, value);
    }

    /**
     * @param key metadata key
     * @param value the value
     * @return this writer
     */
    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, (long) value);
    }

    /**
     * @param key metadata key
     * @param value the value
     * @return this writer
     */
    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    /**
     * @param key metadata key
     * @param value the value
     * @return this writer
     */
    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    /**
     * @param key metadata key
     * @param values the strings
     * @return this writer
     */
    public GgufWriter putStringArray(String key, List<String> values) {
        return put(key, GgufValueType.ARRAY, new Value(GgufValueType.STRING, values.toArray(String[]::new)));
    }

    /**
     * @param key metadata key
     * @param values the integers, stored as INT32
     * @return this writer
     */
    public GgufWriter putInt32Array(String key, int[] values) {
        long[] v = Arrays.stream(values).asLongStream().toArray();
        return put(key, GgufValueType.ARRAY, new Value(GgufValueType.INT32, v));
    }

    /**
     * @param key metadata key
     * @param values the floats, stored as FLOAT32
     * @return this writer
     */
    public GgufWriter putFloat32Array(String key, float[] values) {
        return put(key, GgufValueType.ARRAY, new Value(GgufValueType.FLOAT32, values.clone()));
    }

    /**
     * Copies one entry of another file's metadata with its exact type and value (arrays included).
     *
     * @param from the source metadata
     * @param key a key it has
     * @return this writer
     */
    public GgufWriter copy(GgufMetadata from, String key) {
        GgufValueType type = from.type(key);
        if (type == null) {
            throw new IllegalArgumentException("the source has no metadata key '%s'".formatted(key));
        }
        Object v = from.get(key);
        return put(key, type, type == GgufValueType.ARRAY ? arrayValue((GgufArray) v) : v);
    }

    private static Value arrayValue(GgufArray a) {
        Object data = switch (a.elementType()) {
            case STRING -> a.asStrings();
            case FLOAT32 -> a.asFloats();
            case FLOAT64 -> a.asDoubles();
            case BOOL -> a.asBooleans();
            case ARRAY -> Arrays.stream(a.asArrays()).map(GgufWriter::arrayValue).toArray(Value[]::new);
            default -> { // integers: raw bits, whatever the width
                long[] v = new long[a.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (Long) a.get(i);
                }
                yield v;
            }
        };
        return new Value(a.elementType(), data);
    }

    /** @return the metadata keys set so far, in order */
    public java.util.Set<String> keys() {
        return java.util.Collections.unmodifiableSet(metadata.keySet());
    }

    private GgufWriter put(String key, GgufValueType type, Object value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("metadata keys must be non-empty");
        }
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            throw new IllegalArgumentException("this writer always uses the default alignment; do not set "
                    + GgufFile.ALIGNMENT_KEY);
        }
        metadata.put(key, new Value(type, value));
        return this;
    }

    /**
     * Adds a tensor; its values are requested once, while {@link #write} runs.
     *
     * @param name tensor name, unique
     * @param shape row-major shape (outermost first), 1 to 4 dimensions; ggml's {@code ne} is its reverse
     * @param type F32, F16 or Q8_0; Q8_0 needs a last dimension that is a multiple of 32
     * @param values supplies exactly {@code prod(shape)} values in row-major order
     * @return this writer
     */
    public GgufWriter addTensor(String name, long[] shape, GgmlType type, Supplier<float[]> values) {
        if (!GgmlQuant.isWritable(type)) {
            throw new IllegalArgumentException("%s: Emend writes GGUF tensors as F32, F16 or Q8_0, not %s".formatted(name,
                    type));
        }
        if (shape.length < 1 || shape.length > GgufParser.MAX_DIMS) {
            throw new IllegalArgumentException("%s: %d dimensions; GGUF tensors have 1 to %d".formatted(name,
                    shape.length, GgufParser.MAX_DIMS));
        }
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw new IllegalArgumentException(("%s: rows of %d values are not whole %s blocks of %d; store it as F16 or "
                    + "F32").formatted(name, shape[shape.length - 1], type, type.blockSize()));
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '%s' was added twice".formatted(name));
        }
        tensors.put(name, new Tensor(name, shape.clone(), type, values));
        return this;
    }

    /**
     * Writes the file.
     *
     * @param file destination; replaced if it exists
     * @throws GgufException if the file cannot be written or a tensor supplies the wrong number of values
     */
    public void write(Path file) {
        long alignment = GgufFile.DEFAULT_ALIGNMENT;
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        Out h = new Out(header);
        h.raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(GgufParser.MAGIC).array());
        h.u32(3);
        h.u64(tensors.size());
        h.u64(metadata.size());
        metadata.forEach((key, v) -> {
            h.string(key);
            h.u32(v.type().id());
            h.value(v.type(), v.value());
        });
        long offset = 0;
        List<Long> offsets = new ArrayList<>();
        for (Tensor t : tensors.values()) {
            h.string(t.name());
            h.u32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                h.u64(t.shape()[d]);
            }
            h.u32(t.type().id());
            h.u64(offset);
            offsets.add(offset);
            offset = align(offset + GgmlQuant.byteSize(t.type(), t.numel()), alignment);
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // a plain new file (the umask's permissions, unlike createTempFile's owner-only ones)
            tmp = dir.resolve(".%s.%d.part".formatted(file.getFileName(), System.nanoTime()));
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), 1 << 20)) {
                header.writeTo(os);
                pad(os, header.size(), alignment);
                int i = 0;
                for (Tensor t : tensors.values()) {
                    writeTensor(os, t);
                    long end = offsets.get(i++) + GgmlQuant.byteSize(t.type(), t.numel());
                    pad(os, end, alignment);
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GgufException("cannot write %s (%s: %s); check that the folder is writable and has space"
                    .formatted(file, e.getClass().getSimpleName(), e.getMessage()), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the move succeeded or the write already failed with a message
                }
            }
        }
    }

    private static void writeTensor(OutputStream os, Tensor t) throws IOException {
        float[] v = t.values().get();
        if (v.length != t.numel()) {
            throw new GgufException("tensor '%s' %s supplied %d values, expected %d".formatted(t.name(),
                    Arrays.toString(t.shape()), v.length, t.numel()));
        }
        int chunk = 1 << 16; // a multiple of every block size
        ByteBuffer buf = ByteBuffer.allocate((int) GgmlQuant.byteSize(t.type(), chunk) + 64)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < v.length; at += chunk) {
            int n = Math.min(chunk, v.length - at);
            buf.clear();
            GgmlQuant.quantize(t.type(), v, at, n, buf);
            os.write(buf.array(), 0, buf.position());
        }
    }

    private static long align(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private static void pad(OutputStream os, long written, long alignment) throws IOException {
        long n = align(written, alignment) - written;
        for (long i = 0; i < n; i++) {
            os.write(0);
        }
    }

    /** Little-endian encoder of header fields. */
    private static final class Out {
        private final OutputStream os;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Out(OutputStream os) {
            this.os = os;
        }

        void raw(byte[] b) {
            try {
                os.write(b);
            } catch (IOException e) {
                throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
            }
        }

        void fixed(int bytes, long v) {
            scratch.clear();
            scratch.putLong(v);
            raw(Arrays.copyOf(scratch.array(), bytes));
        }

        void u32(long v) {
            fixed(4, v);
        }

        void u64(long v) {
            fixed(8, v);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            raw(b);
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8, BOOL -> fixed(1, type == GgufValueType.BOOL ? ((Boolean) v ? 1 : 0) : (Long) v);
                case UINT16, INT16 -> fixed(2, (Long) v);
                case UINT32, INT32 -> fixed(4, (Long) v);
                case UINT64, INT64 -> fixed(8, (Long) v);
                case FLOAT32 -> fixed(4, Float.floatToRawIntBits(((Number) v).floatValue()) & 0xFFFFFFFFL);
                case FLOAT64 -> fixed(8, Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case STRING -> string((String) v);
                case ARRAY -> array((Value) v);
                default -> throw new IllegalStateException(type.name());
            }
        }

        void array(Value a) {
            u32(a.type().id());
            int n = java.lang.reflect.Array.getLength(a.value());
            u64(n);
            for (int i = 0; i < n; i++) {
                value(a.type(), java.lang.reflect.Array.get(a.value(), i));
            }
        }
    }
}
