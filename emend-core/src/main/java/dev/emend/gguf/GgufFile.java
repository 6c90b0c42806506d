package dev.emend.gguf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A GGUF file (versions 2 and 3, little-endian): its metadata, its tensor infos, and memory-mapped access to the
 * tensor data, with dequantisation to float32.
 *
 * <p>Layout: magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata count; the metadata entries (key
 * string, uint32 value type, value); the tensor infos (name, uint32 n_dims, uint64 ne[n_dims] innermost first,
 * uint32 ggml type, uint64 offset); zero padding to the alignment ({@code general.alignment}, default 32); then
 * the data section, where each tensor starts at its offset (a multiple of the alignment).
 *
 * <p>{@link #read} validates the whole header before returning (see {@link GgufParser}); every failure is a
 * {@link GgufException} naming the file, the place and the remedy. The object holds no open file or native
 * memory: each mapping is made on demand and is owned by the buffer that holds it (unmapped when collected), and
 * arrays from {@link #load} belong to the caller's manager. Files and tensors over 2 GiB are read through several
 * mappings.
 */
public final class GgufFile {
    /** Metadata key of the data alignment. */
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** Alignment when {@link #ALIGNMENT_KEY} is absent. */
    public static final long DEFAULT_ALIGNMENT = 32;
    /** Largest mapping made at once (whole blocks are mapped; Java 17 maps at most 2 GiB). */
    static final long MAP_LIMIT = 1L << 30;
    /** Elements per parallel dequantisation task. */
    private static final int TASK_ELEMENTS = 1 << 16;

    private final Path file;
    private final int version;
    private final long alignment;
    private final long dataStart;
    private final long fileSize;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;

    GgufFile(Path file, int version, long alignment, long dataStart, long fileSize, GgufMetadata metadata,
            List<GgufTensorInfo> tensors) {
        this.file = file;
        this.version = version;
        this.alignment = alignment;
        this.dataStart = dataStart;
        this.fileSize = fileSize;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /**
     * Reads and validates the header of a GGUF file.
     *
     * @param file a .gguf file
     * @return the parsed file
     * @throws GgufException if the file is unreadable, malformed or of an unsupported version
     */
    public static GgufFile read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            // The header is parsed from a mapping of the file's start; only the pages it touches are read.
            MappedByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
            return GgufParser.parse(head, size, file);
        } catch (IOException e) {
            throw new GgufException("cannot read %s (%s: %s); check that the file exists and is readable"
                    .formatted(file, e.getClass().getSimpleName(), e.getMessage()), e);
        }
    }

    /**
     * Parses a header from bytes already in memory. Pure: used by {@link #read} and by the fuzz tests.
     *
     * @param bytes the file's bytes from offset 0 (at least the whole header)
     * @param fileSize the file's total size, against which the tensor data is checked
     * @param file the file name for messages (may be a pseudo path)
     * @return the parsed file (its data can be mapped only if {@code file} exists)
     * @throws GgufException on any inconsistency
     */
    public static GgufFile parse(ByteBuffer bytes, long fileSize, Path file) {
        return GgufParser.parse(bytes, fileSize, file);
    }

    /** @return the file */
    public Path file() {
        return file;
    }

    /** @return the format version, 2 or 3 */
    public int version() {
        return version;
    }

    /** @return the data alignment in bytes */
    public long alignment() {
        return alignment;
    }

    /** @return the absolute offset of the data section */
    public long dataStart() {
        return dataStart;
    }

    /** @return the file size the header was checked against */
    public long fileSize() {
        return fileSize;
    }

    /** @return the metadata */
    public GgufMetadata metadata() {
        return metadata;
    }

    /** @return the tensor infos in file order */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /**
     * @param name a tensor name
     * @return its info, or null if absent
     */
    public GgufTensorInfo find(String name) {
        for (GgufTensorInfo t : tensors) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /**
     * @param name a tensor name
     * @return its info
     * @throws GgufException if absent; the message lists names with the same first segment
     */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = find(name);
        if (t == null) {
            int dot = name.indexOf('.');
            String prefix = dot < 0 ? name : name.substring(0, dot + 1);
            String near = tensors.stream().map(GgufTensorInfo::name).filter(n -> n.startsWith(prefix)).limit(12)
                    .collect(Collectors.joining(", "));
            throw new GgufException("%s has no tensor '%s' (%d tensors; %s); check that the file holds the model you expect"
                    .formatted(file, name, tensors.size(), near.isEmpty() ? "none starts with '" + prefix + "'"
                            : "names starting with '" + prefix + "': " + near));
        }
        return t;
    }

    /**
     * Maps one tensor's raw bytes read-only. The mapping stays valid after this call and is released when the buffer
     * is garbage-collected; never write to it.
     *
     * @param t a tensor of this file
     * @return a little-endian buffer of exactly {@code t.byteSize()} bytes
     * @throws GgufException if the tensor is over 2 GiB (use {@link #dequantize(GgufTensorInfo, long, float[], int,
     *     int)} on ranges) or the file cannot be mapped
     */
    public ByteBuffer map(GgufTensorInfo t) {
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new GgufException(("%s: tensor '%s' holds %d bytes, but Java 17 maps at most 2 GiB at once; read it in "
                    + "ranges with dequantize(info, firstElement, dst, offset, count)").formatted(file, t.name(),
                            t.byteSize()));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return mapRange(ch, t, 0, t.byteSize());
        } catch (IOException e) {
            throw cannotMap(t, e);
        }
    }

    /**
     * Dequantises a whole tensor to float32, in row-major order (element {@code i} of ggml's flat order).
     *
     * @param t a tensor of this file, of a type with {@link GgmlType#isDequantizable()}
     * @return {@code t.numel()} floats; shape {@code t.shape()}
     * @throws GgufException if the type is not supported, the tensor has 2^31 elements or more, or the file
     *     cannot be mapped
     */
    public float[] dequantize(GgufTensorInfo t) {
        float[] out = new float[checkedNumel(t)];
        dequantize(t, 0, out, 0, out.length, MAP_LIMIT);
        return out;
    }

    /**
     * Dequantises a range of a tensor's elements (in ggml's flat order, which is row-major order), e.g. some rows of
     * an embedding. Works for tensors of any size.
     *
     * @param t a tensor of this file, of a type with {@link GgmlType#isDequantizable()}
     * @param firstElement first element; a multiple of the type's block size
     * @param dst receives {@code count} floats
     * @param dstOffset index in {@code dst} of the first value
     * @param count number of elements; a multiple of the block size
     * @throws GgufException if the type is not supported or the file cannot be mapped
     * @throws IllegalArgumentException if the range is not whole blocks inside the tensor and {@code dst}
     */
    public void dequantize(GgufTensorInfo t, long firstElement, float[] dst, int dstOffset, int count) {
        dequantize(t, firstElement, dst, dstOffset, count, MAP_LIMIT);
    }

    void dequantize(GgufTensorInfo t, long firstElement, float[] dst, int dstOffset, int count, long mapLimit) {
        int bs = requireDequantizable(t).blockSize();
        if (firstElement < 0 || count < 0 || firstElement % bs != 0 || count % bs != 0
                || firstElement > t.numel() - count || dstOffset < 0 || dstOffset > dst.length - count) {
            throw new IllegalArgumentException(("elements [%d, +%d) of '%s' (%d elements, %s blocks of %d) into "
                    + "[%d, +%d) of float[%d]").formatted(firstElement, count, t.name(), t.numel(), t.type(), bs,
                            dstOffset, count, dst.length));
        }
        forEachTask(t, firstElement / bs, count / bs, mapLimit, (segment, srcIndex, element, blocks) ->
                GgmlDequant.dequantize(t.type(), segment, srcIndex, dst, dstOffset + (int) element, blocks));
    }

    /**
     * Dequantises a tensor into a new FLOAT32 array of shape {@code t.shape()} (row-major: ggml's {@code ne}
     * reversed). On CPU the values are written straight into torch-owned memory (not the file mapping, so the array
     * may be written); on another device they go through a Java {@code float[]} and are copied there (not yet run on
     * a GPU).
     *
     * @param manager the manager that owns the result
     * @param t a tensor of this file, of a type with {@link GgmlType#isDequantizable()}
     * @return the array, named after the tensor; shape {@code t.shape()}
     * @throws GgufException if the type is not supported, the tensor has 2^31 elements or more, or the file cannot
     *     be mapped
     */
    public NDArray load(NDManager manager, GgufTensorInfo t) {
        return load(manager, t, MAP_LIMIT);
    }

    NDArray load(NDManager manager, GgufTensorInfo t, long mapLimit) {
        requireDequantizable(t);
        checkedNumel(t);
        if (!manager.getDevice().equals(Device.cpu())) {
            NDArray out = manager.create(dequantize(t), t.djlShape());
            out.setName(t.name());
            return out;
        }
        NDArray out = manager.create(t.djlShape(), DataType.FLOAT32);
        try {
            if (t.numel() > 0) {
                FloatBuffer dst = out.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
                forEachTask(t, 0, t.blocks(), mapLimit, (segment, srcIndex, element, blocks) -> {
                    float[] tmp = new float[blocks * t.type().blockSize()];
                    GgmlDequant.dequantize(t.type(), segment, srcIndex, tmp, 0, blocks);
                    dst.put((int) element, tmp, 0, tmp.length);
                });
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        out.setName(t.name());
        return out;
    }

    /**
     * One parallel piece of work: {@code blocks} blocks at {@code srcIndex} of {@code segment}, whose first element
     * is element {@code element} of the requested range (counted from the range's start, not the tensor's).
     */
    private interface BlockTask {
        void run(ByteBuffer segment, int srcIndex, long element, int blocks);
    }

    /**
     * Maps blocks {@code [firstBlock, firstBlock + blocks)} of a tensor in segments of at most {@code mapLimit}
     * bytes and runs {@code task} on pieces of about {@link #TASK_ELEMENTS} elements, in parallel.
     */
    private void forEachTask(GgufTensorInfo t, long firstBlock, long blocks, long mapLimit, BlockTask task) {
        GgmlType type = t.type();
        long blocksPerMap = Math.max(1, Math.min(mapLimit, MAP_LIMIT) / type.typeSize());
        int blocksPerTask = Math.max(1, TASK_ELEMENTS / type.blockSize());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long b = firstBlock; b < firstBlock + blocks; b += blocksPerMap) {
                long n = Math.min(blocksPerMap, firstBlock + blocks - b);
                ByteBuffer segment = mapRange(ch, t, b * type.typeSize(), n * type.typeSize());
                long segmentFirstElement = (b - firstBlock) * type.blockSize();
                int pieces = (int) ((n + blocksPerTask - 1) / blocksPerTask);
                IntStream.range(0, pieces).parallel().forEach(i -> {
                    int lo = i * blocksPerTask;
                    int cnt = (int) Math.min(blocksPerTask, n - lo);
                    task.run(segment, lo * type.typeSize(), segmentFirstElement + (long) lo * type.blockSize(), cnt);
                });
            }
        } catch (IOException e) {
            throw cannotMap(t, e);
        }
    }

    private ByteBuffer mapRange(FileChannel ch, GgufTensorInfo t, long from, long bytes) throws IOException {
        long start = dataStart + t.offset() + from;
        if (ch.size() < start + bytes) {
            throw new GgufException(("%s: tensor '%s' needs bytes [%d, %d), but the file is now %d bytes long (it was %d "
                    + "when its header was read); the file changed or was truncated. Re-download it.").formatted(file,
                            t.name(), start, start + bytes, ch.size(), fileSize));
        }
        return ch.map(FileChannel.MapMode.READ_ONLY, start, bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private GgmlType requireDequantizable(GgufTensorInfo t) {
        if (!t.type().isDequantizable()) {
            throw new GgufException(("%s: tensor '%s' is stored as %s, which Emend cannot dequantise yet (supported: %s). "
                    + "Re-quantise the model with llama.cpp's llama-quantize to one of those (e.g. Q8_0 or Q4_K_M), or "
                    + "convert it from the original weights with convert_hf_to_gguf.py --outtype f16.").formatted(file,
                            t.name(), t.type(), GgmlType.dequantizableNames()));
        }
        return t.type();
    }

    private int checkedNumel(GgufTensorInfo t) {
        if (t.numel() > Integer.MAX_VALUE - 8) {
            throw new GgufException(("%s: tensor '%s' has %d elements, more than one Java or DJL array holds (2^31 - 1); "
                    + "read it in ranges with dequantize(info, firstElement, dst, offset, count)").formatted(file,
                            t.name(), t.numel()));
        }
        return (int) t.numel();
    }

    private GgufException cannotMap(GgufTensorInfo t, IOException e) {
        return new GgufException("cannot map tensor '%s' of %s (%s: %s); check that the file still exists and is readable"
                .formatted(t.name(), file, e.getClass().getSimpleName(), e.getMessage()), e);
    }

    @Override
    public String toString() {
        return "GGUF v%d %s: %d metadata keys, %d tensors, alignment %d, data at %d".formatted(version, file,
                metadata.size(), tensors.size(), alignment, dataStart);
    }
}
