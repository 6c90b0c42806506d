package dev.emend.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the raw data.
 *
 * <p>Reading memory-maps each tensor (zero copy on CPU). The header parser validates everything before any mapping:
 * lengths, strict UTF-8 and JSON (no duplicate names, nothing after the object), JSON types, dtypes, shapes against
 * byte ranges, ranges against the file size, and overlaps. Every failure is a {@link SafeTensorsException} naming
 * the file and tensor; {@code SafeTensorsFuzzTest} holds the reader to that.
 */
public final class SafeTensors {
    /** Largest header accepted; real headers are a few hundred kilobytes at most. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Header reader as strict as the reference implementation (serde_json): a duplicate tensor name or anything but
     * whitespace after the object is an error, not silently ignored.
     */
    private static final ObjectReader HEADER_READER = JSON.reader()
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private SafeTensors() {}

    /**
     * One tensor's entry in a header.
     *
     * @param name tensor name
     * @param type element type as stored
     * @param shape dimensions
     * @param begin first byte, relative to the data section
     * @param end one past the last byte, relative to the data section
     */
    public record TensorInfo(String name, StorageType type, long[] shape, long begin, long end) {
        /** @return number of elements */
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** @return the shape as a DJL shape */
        public Shape djlShape() {
            return new Shape(shape);
        }

        @Override
        public String toString() {
            return name + " " + type + Arrays.toString(shape);
        }
    }

    /**
     * A parsed header.
     *
     * @param file the file it came from
     * @param dataStart absolute offset of the data section (8 + header length)
     * @param tensors entries sorted by offset
     * @param metadata the {@code __metadata__} map, empty if absent
     */
    public record Header(Path file, long dataStart, List<TensorInfo> tensors, Map<String, String> metadata) {
        /**
         * Finds a tensor by name.
         *
         * @param name tensor name
         * @return its entry, or null if absent
         */
        public TensorInfo find(String name) {
            for (TensorInfo t : tensors) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }

    /**
     * Reads and validates the header of a file.
     *
     * @param file a safetensors file
     * @return the header
     * @throws SafeTensorsException if the file is unreadable or malformed
     */
    public static Header readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsException(
                        "%s is %d bytes long, shorter than the 8-byte header length field; the file is truncated or not a safetensors file. Re-download or re-save it."
                                .formatted(file, size));
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (size <= 1024 && isLfsPointer(ch, size)) {
                throw new SafeTensorsException(("%s is a Git LFS pointer, not the weights; run `git lfs pull` in the "
                        + "model folder, or download the model with huggingface-cli").formatted(file));
            }
            checkHeaderLength(n, size, file.toString());
            ByteBuffer json = ByteBuffer.allocate((int) n);
            readFully(ch, json, 8);
            return parseHeader(json.array(), size, file);
        } catch (IOException e) {
            throw new SafeTensorsException("cannot read %s (%s: %s); check that the file exists and is readable"
                    .formatted(file, e.getClass().getSimpleName(), e.getMessage()), e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    /** A repository cloned without git-lfs holds small text files in place of the weights. */
    private static boolean isLfsPointer(FileChannel ch, long size) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) size);
        readFully(ch, head, 0);
        return new String(head.array(), StandardCharsets.ISO_8859_1).startsWith("version https://git-lfs");
    }

    private static void checkHeaderLength(long n, long fileSize, String source) {
        if (n <= 0 || n > MAX_HEADER_BYTES) {
            throw new SafeTensorsException(("%s declares a header of %d bytes (allowed 1..%d); the file is corrupt or "
                    + "not a safetensors file. Re-download or re-save it.").formatted(source, n, MAX_HEADER_BYTES));
        }
        if (n > fileSize - 8) {
            throw new SafeTensorsException(
                    "%s declares a header of %d bytes but the file holds only %d bytes after the length field; the file is truncated. Re-download or re-save it."
                            .formatted(source, n, fileSize - 8));
        }
    }

    /**
     * Parses and validates header JSON. Pure: used by {@link #readHeader} and by the fuzz tests.
     *
     * @param json the header bytes (UTF-8 JSON)
     * @param fileSize the total file size, to check that every range lies inside the file
     * @param file the file name for messages (may be a pseudo path)
     * @return the header
     * @throws SafeTensorsException on any inconsistency
     */
    public static Header parseHeader(byte[] json, long fileSize, Path file) {
        long dataStart = 8L + json.length;
        long dataSize = fileSize - dataStart;
        if (dataSize < 0) {
            throw new SafeTensorsException(
                    "%s: header of %d bytes is longer than the file (%d bytes); the file is truncated. Re-download it."
                            .formatted(file, json.length, fileSize));
        }
        JsonNode root;
        try {
            root = HEADER_READER.readTree(decodeUtf8(json, file).stripTrailing());
        } catch (JsonProcessingException e) {
            throw new SafeTensorsException(
                    "%s: the header is not valid JSON (%s); the file is corrupt. Re-download or re-save it."
                            .formatted(file, e.getOriginalMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafeTensorsException(
                    "%s: the header must be a JSON object of tensors, found %s; this is not a safetensors file"
                            .formatted(file, root == null ? "nothing" : root.getNodeType()));
        }
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(e.getValue(), metadata, file);
                continue;
            }
            tensors.add(parseEntry(e.getKey(), e.getValue(), dataSize, file));
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < tensors.size(); i++) {
            TensorInfo prev = tensors.get(i - 1);
            TensorInfo cur = tensors.get(i);
            if (cur.begin() < prev.end()) {
                throw new SafeTensorsException(("%s: tensors '%s' [%d,%d) and '%s' [%d,%d) overlap; the file is corrupt. "
                        + "Re-download or re-save it.").formatted(file, prev.name(), prev.begin(), prev.end(), cur.name(),
                                cur.begin(), cur.end()));
            }
        }
        return new Header(file, dataStart, Collections.unmodifiableList(tensors), Collections.unmodifiableMap(metadata));
    }

    /** Decodes strictly: a malformed byte is an error, not a silent U+FFFD in a tensor name. */
    private static String decodeUtf8(byte[] json, Path file) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder(); // reports malformed input by default
        ByteBuffer in = ByteBuffer.wrap(json);
        CharBuffer out = CharBuffer.allocate(json.length); // UTF-8 never decodes to more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            throw new SafeTensorsException(("%s: the header is not valid UTF-8 (byte %d of the header); the file is "
                    + "corrupt. Re-download or re-save it.").formatted(file, in.position()));
        }
        return out.flip().toString();
    }

    private static void readMetadata(JsonNode node, Map<String, String> out, Path file) {
        if (!node.isObject()) {
            throw new SafeTensorsException(
                    "%s: __metadata__ must be an object of strings, found %s. Re-download or re-save the file."
                            .formatted(file, node.getNodeType()));
        }
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new SafeTensorsException(
                        "%s: __metadata__ value of '%s' must be a string, found %s. Re-download or re-save the file."
                                .formatted(file, m.getKey(), m.getValue().getNodeType()));
            }
            out.put(m.getKey(), m.getValue().asText());
        }
    }

    private static TensorInfo parseEntry(String name, JsonNode node, long dataSize, Path file) {
        if (!node.isObject()) {
            throw bad(file, name, "entry must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw bad(file, name, "missing or non-string dtype");
        }
        StorageType type = StorageType.fromSafetensors(dtype.asText());
        if (type == null) {
            throw new SafeTensorsException(
                    "%s: tensor '%s': dtype '%s' is not supported (supported: %s); convert the checkpoint to F32, F16 or BF16"
                            .formatted(file, name, dtype.asText(), Arrays.toString(StorageType.values())));
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw bad(file, name, "missing or non-array shape");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw bad(file, name, "shape entry %d is %s, not a non-negative integer".formatted(i, d));
            }
            shape[i] = d.asLong();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException ex) {
                throw bad(file, name, "shape " + shapeNode + " overflows");
            }
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw bad(file, name, "data_offsets must be an array [begin, end]");
        }
        for (JsonNode o : off) {
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
                throw bad(file, name, "data_offsets " + off + " must hold non-negative integers");
            }
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (end < begin) {
            throw bad(file, name, "data_offsets [%d, %d] end before begin".formatted(begin, end));
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, type.bytes());
        } catch (ArithmeticException ex) {
            throw bad(file, name, "byte size overflows");
        }
        if (end - begin != expected) {
            throw bad(file, name, "data_offsets [%d, %d] hold %d bytes but %s%s needs %d"
                    .formatted(begin, end, end - begin, type, shapeNode, expected));
        }
        if (end > dataSize) {
            throw bad(file, name, "data_offsets end %d lies beyond the data section (%d bytes); the file is truncated"
                    .formatted(end, dataSize));
        }
        return new TensorInfo(name, type, shape, begin, end);
    }

    private static SafeTensorsException bad(Path file, String tensor, String what) {
        return new SafeTensorsException(
                "%s: tensor '%s': %s. Re-download or re-save the file.".formatted(file, tensor, what));
    }

    /**
     * Maps one tensor's bytes read-only. The mapping stays valid after the channel is closed.
     *
     * @param header the file's header
     * @param info the tensor
     * @return a little-endian read-only buffer of exactly the tensor's bytes
     * @throws SafeTensorsException if the file cannot be mapped or the tensor is larger than 2 GiB
     */
    public static MappedByteBuffer map(Header header, TensorInfo info) {
        long bytes = info.end() - info.begin();
        if (bytes > Integer.MAX_VALUE) { // FileChannel.map limit on Java 17 (djl-notes §9.21)
            throw new SafeTensorsException(("tensor '%s' of %s holds %d bytes, but Java 17 maps at most %d bytes (2 GiB) "
                    + "at once. Save the checkpoint in bfloat16 or float16 so that every tensor is under 2 GiB.")
                    .formatted(info.name(), header.file(), bytes, Integer.MAX_VALUE));
        }
        try (FileChannel ch = FileChannel.open(header.file(), StandardOpenOption.READ)) {
            MappedByteBuffer mb = ch.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + info.begin(), bytes);
            mb.order(ByteOrder.LITTLE_ENDIAN);
            return mb;
        } catch (IOException e) {
            throw new SafeTensorsException("cannot map tensor '%s' of %s: %s".formatted(info.name(), header.file(),
                    e.getMessage()), e);
        }
    }

    /**
     * Creates an array for one tensor. When the stored type equals {@code target} the array is a zero-copy view of
     * the file mapping: it must never be written (read-only pages) and must stay alive while views of it exist.
     * Otherwise it is converted into a torch-owned array.
     *
     * @param manager a CPU manager that owns the result
     * @param header the file's header
     * @param info the tensor
     * @param target the compute type for floating tensors (FLOAT32 or FLOAT16); integer tensors keep their type
     * @return the array, named after the tensor
     */
    public static NDArray load(NDManager manager, Header header, TensorInfo info, DataType target) {
        Shape shape = info.djlShape();
        NDArray out;
        if (info.numel() == 0) {
            out = manager.zeros(shape, info.type().isFloating() ? target : info.type().loadType());
        } else {
            MappedByteBuffer mb = map(header, info);
            if (info.type() == StorageType.BF16) {
                NDArray wide = Bf16.widen(manager, mb, shape);
                out = target == DataType.FLOAT32 ? wide : convert(wide, target);
            } else {
                NDArray view = manager.create(mb, shape, info.type().loadType());
                out = !info.type().isFloating() || view.getDataType() == target ? view : convert(view, target);
            }
        }
        out.setName(info.name());
        return out;
    }

    private static NDArray convert(NDArray source, DataType target) {
        NDArray converted = source.toType(target, true);
        source.close();
        return converted;
    }

    /**
     * A tensor to write: a name, its values, and the type to store it as.
     *
     * @param name tensor name
     * @param array values (CPU)
     * @param storeAs storage type; BF16 narrows with round-to-nearest-even
     */
    public record Entry(String name, NDArray array, StorageType storeAs) {}

    /**
     * A float32 tensor held in Java memory, to write without a native array (e.g. adapter factors).
     *
     * @param name tensor name
     * @param shape dimensions; their product is {@code values.length}
     * @param values row-major values
     */
    public record FloatTensor(String name, long[] shape, float[] values) {
        /** Checks that the shape holds the values. */
        public FloatTensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException("tensor '%s' of shape %s needs %d values, got %d"
                        .formatted(name, Arrays.toString(shape), n, values.length));
            }
        }
    }

    /**
     * Writes a safetensors file atomically (to a temporary file, then moved into place, so that a file mapped by a
     * loaded model stays valid). The header is padded with spaces to a multiple of 8 bytes.
     *
     * @param file destination
     * @param entries tensors in the order to write them
     * @param metadata string metadata, e.g. {@code {"format": "pt"}}
     */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) {
        List<Slot> slots = new ArrayList<>();
        for (Entry e : entries) {
            slots.add(new Slot(e.name(), e.storeAs(), e.array().getShape().getShape(), e.array().size()));
        }
        writeAtomically(file, header(slots, metadata), ch -> {
            for (Entry e : entries) {
                writeData(ch, e);
            }
        });
    }

    /**
     * Writes float32 tensors held in Java arrays, like {@link #write}: atomically, header padded to 8 bytes,
     * values stored exactly (little-endian F32).
     *
     * @param file destination
     * @param tensors tensors in the order to write them
     * @param metadata string metadata, e.g. {@code {"format": "pt"}}
     */
    public static void writeFloats(Path file, List<FloatTensor> tensors, Map<String, String> metadata) {
        List<Slot> slots = new ArrayList<>();
        for (FloatTensor t : tensors) {
            slots.add(new Slot(t.name(), StorageType.F32, t.shape(), t.values().length));
        }
        writeAtomically(file, header(slots, metadata), ch -> {
            for (FloatTensor t : tensors) {
                ByteBuffer b = ByteBuffer.allocate(t.values().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.values());
                writeAll(ch, b);
            }
        });
    }

    /** One tensor's place in a header being written. */
    private record Slot(String name, StorageType type, long[] shape, long numel) {}

    /** The data section, written after the header. */
    private interface Body {
        void write(FileChannel ch) throws IOException;
    }

    /** The header bytes: JSON with consecutive data offsets, padded with spaces to a multiple of 8. */
    private static byte[] header(List<Slot> slots, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Slot s : slots) {
            long bytes = s.numel() * s.type().bytes();
            ObjectNode t = header.putObject(s.name());
            t.put("dtype", s.type().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : s.shape()) {
                shape.add(d);
            }
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] hdr = Arrays.copyOf(json, padded);
        Arrays.fill(hdr, json.length, padded, (byte) ' ');
        return hdr;
    }

    private static void writeAtomically(Path file, byte[] hdr, Body body) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, hdr.length));
            ch.write(ByteBuffer.wrap(hdr));
            body.write(ch);
        } catch (IOException ex) {
            throw new SafeTensorsException("cannot write %s: %s".formatted(tmp, ex.getMessage()), ex);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new SafeTensorsException("cannot move %s to %s: %s".formatted(tmp, file, ex.getMessage()), ex);
        }
    }

    private static void writeData(FileChannel ch, Entry e) throws IOException {
        NDArray a = e.array();
        StorageType from = StorageType.of(a.getDataType());
        if (e.storeAs() == from) {
            writeAll(ch, a.toByteBuffer(true));
        } else if (e.storeAs() == StorageType.BF16 && from == StorageType.F32) {
            writeAll(ch, narrowToBf16(a.toByteBuffer(true)));
        } else {
            DataType via = e.storeAs() == StorageType.BF16 ? DataType.FLOAT32 : e.storeAs().loadType();
            try (NDManager tmp = NDManager.newBaseManager(a.getDevice());
                    NDArray converted = Tensors.convert(a, via, tmp)) {
                ByteBuffer data = converted.toByteBuffer(true);
                writeAll(ch, e.storeAs() == StorageType.BF16 ? narrowToBf16(data) : data);
            }
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer data) throws IOException {
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.rewind();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static ByteBuffer narrowToBf16(ByteBuffer f32) {
        java.nio.FloatBuffer in = f32.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
        int n = in.remaining();
        ByteBuffer out = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        ShortBuffer s = out.asShortBuffer();
        for (int i = 0; i < n; i++) {
            s.put(i, Bf16.narrow(in.get(i)));
        }
        return out;
    }
}
