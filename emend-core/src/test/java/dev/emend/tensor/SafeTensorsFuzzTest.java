package dev.emend.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Throws malformed input at the safetensors reader: random bytes, truncated files, bad header length fields and
 * headers with one targeted defect each. The reader may only fail with a {@link SafeTensorsException} (or another
 * Emend exception) whose message names the file; valid files must parse and their tensors must round-trip.
 */
class SafeTensorsFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path dir;

    @BeforeContainer
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("emend-safetensors-fuzz");
    }

    @AfterContainer
    static void deleteDir() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    // ---------------------------------------------------------------- model of a valid file

    /** One tensor of a generated file. */
    record TensorSpec(String name, StorageType type, long[] shape) {
        long bytes() {
            long n = type.bytes();
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        @Override
        public String toString() {
            return name + " " + type + Arrays.toString(shape);
        }
    }

    /**
     * A valid file: tensors in header order, the order their bytes are laid out in, metadata, and trailing spaces
     * after the JSON.
     */
    record FileSpec(List<TensorSpec> tensors, List<Integer> dataOrder, Map<String, String> metadata, int padding,
            long seed) {
        ObjectNode header() {
            long[] begin = new long[tensors.size()];
            long offset = 0;
            for (int i : dataOrder) {
                begin[i] = offset;
                offset += tensors.get(i).bytes();
            }
            ObjectNode root = JSON.createObjectNode();
            if (!metadata.isEmpty()) {
                ObjectNode md = root.putObject("__metadata__");
                metadata.forEach(md::put);
            }
            for (int i = 0; i < tensors.size(); i++) {
                TensorSpec t = tensors.get(i);
                ObjectNode e = root.putObject(t.name());
                e.put("dtype", t.type().name());
                ArrayNode shape = e.putArray("shape");
                Arrays.stream(t.shape()).forEach(shape::add);
                e.putArray("data_offsets").add(begin[i]).add(begin[i] + t.bytes());
            }
            return root;
        }

        long dataBytes() {
            return tensors.stream().mapToLong(TensorSpec::bytes).sum();
        }

        byte[] headerBytes() {
            return pad(header().toString().getBytes(StandardCharsets.UTF_8), padding);
        }

        byte[] data() {
            byte[] d = new byte[Math.toIntExact(dataBytes())];
            new Random(seed).nextBytes(d);
            return d;
        }

        byte[] file() {
            return fileOf(headerBytes(), data());
        }
    }

    static byte[] pad(byte[] json, int spaces) {
        byte[] out = Arrays.copyOf(json, json.length + spaces);
        Arrays.fill(out, json.length, out.length, (byte) ' ');
        return out;
    }

    static byte[] fileOf(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array();
    }

    static Path write(byte[] bytes) {
        Path f = dir.resolve("fuzz.safetensors");
        try {
            Files.write(f, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }

    @Provide
    Arbitrary<FileSpec> files() {
        return files(0);
    }

    /** Files with at least one tensor that holds bytes (so that overlaps and size mismatches exist). */
    @Provide
    Arbitrary<FileSpec> nonEmptyFiles() {
        return files(1).filter(f -> f.tensors().stream().anyMatch(t -> t.bytes() > 0));
    }

    private static Arbitrary<FileSpec> files(int minTensors) {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').withChars('.', '_', '0', '9', 'é', '字')
                .ofMinLength(1).ofMaxLength(12).filter(n -> !n.equals("__metadata__"));
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 5).array(long[].class).ofMaxSize(4); // [] = scalar
        Arbitrary<TensorSpec> tensor = Combinators.combine(names, Arbitraries.of(StorageType.class), shapes)
                .as(TensorSpec::new);
        Arbitrary<List<TensorSpec>> tensors = tensor.list().ofMinSize(minTensors).ofMaxSize(6)
                .uniqueElements(TensorSpec::name);
        Arbitrary<Map<String, String>> metadata = Arbitraries.maps(names, Arbitraries.strings().ofMaxLength(8)
                .alpha()).ofMaxSize(2);
        return tensors.flatMap(ts -> {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < ts.size(); i++) {
                idx.add(i);
            }
            return Combinators.combine(Arbitraries.shuffle(idx), metadata, Arbitraries.integers().between(0, 8),
                    Arbitraries.longs()).as((order, md, padding, seed) -> new FileSpec(ts, order, md, padding, seed));
        });
    }

    /** Asserts that {@code body} either succeeds or fails only with an Emend exception naming {@code file}. */
    static SafeTensors.Header parsesOrFailsCleanly(Path file, ThrowingHeader body) {
        try {
            return body.get();
        } catch (EmendException e) {
            assertThat(e).isInstanceOf(SafeTensorsException.class);
            assertThat(e.getMessage()).contains(file.toString());
            return null;
        } catch (Throwable t) {
            throw new AssertionError("the reader must fail with SafeTensorsException, not " + t, t);
        }
    }

    /** A header read that may throw anything. */
    interface ThrowingHeader {
        SafeTensors.Header get();
    }

    // ---------------------------------------------------------------- valid files

    @Property(tries = 200)
    void validFilesParseAndMapTheirBytes(@ForAll("files") FileSpec spec) {
        byte[] bytes = spec.file();
        Path f = write(bytes);
        SafeTensors.Header h = SafeTensors.readHeader(f);
        SafeTensors.Header pure = SafeTensors.parseHeader(spec.headerBytes(), bytes.length, f);
        assertThat(pure.tensors()).usingRecursiveFieldByFieldElementComparator().isEqualTo(h.tensors());
        assertThat(h.dataStart()).isEqualTo(8L + spec.headerBytes().length);
        assertThat(h.metadata()).isEqualTo(spec.metadata());
        assertThat(h.tensors()).hasSize(spec.tensors().size())
                .isSortedAccordingTo(Comparator.comparingLong(SafeTensors.TensorInfo::begin));
        byte[] data = spec.data();
        for (TensorSpec t : spec.tensors()) {
            SafeTensors.TensorInfo info = h.find(t.name());
            assertThat(info).as(t.name()).isNotNull();
            assertThat(info.type()).isEqualTo(t.type());
            assertThat(info.shape()).isEqualTo(t.shape());
            assertThat(info.end() - info.begin()).isEqualTo(t.bytes());
            if (t.bytes() > 0) {
                MappedByteBuffer mb = SafeTensors.map(h, info);
                byte[] got = new byte[mb.remaining()];
                mb.get(got);
                assertThat(got).isEqualTo(Arrays.copyOfRange(data, (int) info.begin(), (int) info.end()));
            }
        }
    }

    // ---------------------------------------------------------------- damaged files

    @Property(tries = 200)
    void truncatedFilesAreRefusedUnlessEveryTensorSurvives(@ForAll("files") FileSpec spec,
            @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double where) {
        byte[] full = spec.file();
        int cut = (int) (where * full.length);
        Path f = write(Arrays.copyOf(full, cut));
        long needed = 8L + spec.headerBytes().length + spec.dataBytes();
        SafeTensors.Header h = parsesOrFailsCleanly(f, () -> SafeTensors.readHeader(f));
        assertThat(h != null).as("parsed a file cut at %d of %d bytes (needs %d)", cut, full.length, needed)
                .isEqualTo(cut >= needed);
    }

    @Provide
    Arbitrary<Long> headerLengths() {
        return Arbitraries.oneOf(
                Arbitraries.of(Long.MIN_VALUE, (long) Integer.MIN_VALUE, -8L, -1L, 0L, 1L, 7L, 8L, (long) Integer.MAX_VALUE,
                        Integer.MAX_VALUE + 1L, 0xFFFF_FFFFL, 1L << 32, SafeTensors.MAX_HEADER_BYTES,
                        SafeTensors.MAX_HEADER_BYTES + 1, Long.MAX_VALUE - 7, Long.MAX_VALUE),
                Arbitraries.longs(),
                Arbitraries.longs().between(-16, 4096));
    }

    @Property(tries = 200)
    void headerLengthFieldIsChecked(@ForAll("files") FileSpec spec, @ForAll("headerLengths") long length) {
        byte[] bytes = spec.file();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        Path f = write(bytes);
        SafeTensors.Header h = parsesOrFailsCleanly(f, () -> SafeTensors.readHeader(f));
        if (h != null) { // only lengths that still cover the JSON object, e.g. minus some of the padding, may work
            assertThat(length).isBetween(1L, bytes.length - 8L);
            assertThat(h.dataStart()).isEqualTo(8 + length);
        }
    }

    @Property(tries = 300)
    void randomBytesFailCleanly(@ForAll @Size(max = 256) byte[] bytes, @ForAll long fileSize) {
        Path f = write(bytes);
        parsesOrFailsCleanly(f, () -> SafeTensors.readHeader(f));
        parsesOrFailsCleanly(f, () -> SafeTensors.parseHeader(bytes, fileSize, f));
        parsesOrFailsCleanly(f, () -> SafeTensors.parseHeader(bytes, 8L + bytes.length + 64, f));
    }

    @Provide
    Arbitrary<String> jsonish() {
        Arbitrary<String> token = Arbitraries.of("{", "}", "[", "]", ":", ",", "\"", "\"dtype\"", "\"shape\"",
                "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"BF16\"", "\"x\"", "0", "4", "-1", "1.5", "1e309",
                "99999999999999999999999", "null", "true", " ", "\\", "\\u00", "\u00e9");
        return token.list().ofMaxSize(40).map(ts -> String.join("", ts));
    }

    @Property(tries = 300)
    void randomJsonLikeHeadersFailCleanly(@ForAll("jsonish") String text) {
        byte[] header = text.getBytes(StandardCharsets.UTF_8);
        Path f = write(fileOf(header, new byte[64]));
        parsesOrFailsCleanly(f, () -> SafeTensors.readHeader(f));
    }

    /** One targeted defect in an otherwise valid header. */
    enum Defect {
        SHAPE_NOT_ARRAY, SHAPE_NEGATIVE_DIM, SHAPE_NOT_INTEGER, SHAPE_OVERFLOWS, DTYPE_UNKNOWN, DTYPE_MISSING,
        OFFSETS_NOT_PAIR, OFFSETS_NOT_INTEGER, OFFSETS_NEGATIVE, OFFSETS_END_BEFORE_BEGIN, OFFSETS_BEYOND_FILE,
        OVERLAP, SIZE_NOT_SHAPE_TIMES_DTYPE, ENTRY_NOT_OBJECT, METADATA_NOT_STRING, METADATA_NOT_OBJECT,
        DEEPLY_NESTED, NOT_UTF8, DUPLICATE_NAME, TRAILING_GARBAGE, ROOT_NOT_OBJECT, CUT_JSON;

        /** @return true if the message must name the damaged tensor */
        boolean namesTensor() {
            return ordinal() <= ENTRY_NOT_OBJECT.ordinal() || this == DUPLICATE_NAME;
        }
    }

    /**
     * A damaged header: the JSON bytes and the tensor it damages.
     *
     * @param json header bytes
     * @param tensor the damaged tensor
     */
    record Damaged(byte[] json, String tensor) {}

    static Damaged damage(FileSpec spec, Defect defect, Random rnd) {
        ObjectNode root = spec.header();
        List<TensorSpec> nonEmpty = spec.tensors().stream().filter(t -> t.bytes() > 0).toList();
        TensorSpec t = nonEmpty.get(rnd.nextInt(nonEmpty.size()));
        ObjectNode e = (ObjectNode) root.get(t.name());
        ArrayNode off = (ArrayNode) e.get("data_offsets");
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        String text = null;
        switch (defect) {
            case SHAPE_NOT_ARRAY -> e.set("shape", pick(rnd, JSON.getNodeFactory().textNode("[2]"),
                    JSON.getNodeFactory().numberNode(4), JSON.createObjectNode(), JSON.getNodeFactory().nullNode()));
            case SHAPE_NEGATIVE_DIM -> ((ArrayNode) e.get("shape")).insert(0, -1 - rnd.nextInt(5));
            case SHAPE_NOT_INTEGER -> ((ArrayNode) e.get("shape")).insert(0, pick(rnd,
                    JSON.getNodeFactory().numberNode(1.5), JSON.getNodeFactory().textNode("1"),
                    JSON.getNodeFactory().nullNode(), JSON.getNodeFactory().booleanNode(true),
                    JSON.getNodeFactory().numberNode(BigInteger.ONE.shiftLeft(70))));
            case SHAPE_OVERFLOWS -> e.putArray("shape").add(1L << 40).add(1L << 40).add(1L << 40);
            case DTYPE_UNKNOWN -> e.set("dtype", pick(rnd, JSON.getNodeFactory().textNode("F8_E4M3"),
                    JSON.getNodeFactory().textNode("float32"), JSON.getNodeFactory().textNode(""),
                    JSON.getNodeFactory().numberNode(7), JSON.getNodeFactory().nullNode()));
            case DTYPE_MISSING -> e.remove("dtype");
            case OFFSETS_NOT_PAIR -> e.set("data_offsets", pick(rnd, JSON.createArrayNode().add(begin),
                    JSON.createArrayNode().add(begin).add(end).add(end), JSON.getNodeFactory().textNode("0,4"),
                    JSON.createObjectNode().put("begin", begin).put("end", end)));
            case OFFSETS_NOT_INTEGER -> off.set(rnd.nextInt(2), pick(rnd, JSON.getNodeFactory().numberNode(0.5 + begin),
                    JSON.getNodeFactory().textNode(Long.toString(end)), JSON.getNodeFactory().numberNode(1e30),
                    JSON.getNodeFactory().numberNode(BigInteger.ONE.shiftLeft(70)), JSON.getNodeFactory().nullNode()));
            case OFFSETS_NEGATIVE -> off.set(0, JSON.getNodeFactory().numberNode(-1 - rnd.nextInt(1000)));
            case OFFSETS_END_BEFORE_BEGIN -> {
                off.set(0, JSON.getNodeFactory().numberNode(end));
                off.set(1, JSON.getNodeFactory().numberNode(begin));
            }
            case OFFSETS_BEYOND_FILE -> {
                long shift = spec.dataBytes() - begin + 1 + rnd.nextInt(100);
                if (rnd.nextBoolean()) {
                    shift = Long.MAX_VALUE - end; // end + shift = Long.MAX_VALUE: no overflow in the reader either
                }
                off.set(0, JSON.getNodeFactory().numberNode(begin + shift));
                off.set(1, JSON.getNodeFactory().numberNode(end + shift));
            }
            case OVERLAP -> {
                ObjectNode copy = e.deepCopy();
                long shift = rnd.nextInt((int) (end - begin)); // shares at least one byte with t
                ((ArrayNode) copy.get("data_offsets")).set(0, JSON.getNodeFactory().numberNode(begin + shift));
                ((ArrayNode) copy.get("data_offsets")).set(1, JSON.getNodeFactory().numberNode(end + shift));
                String name = t.name() + ".overlap";
                root.set(name, copy);
                if (end + shift > spec.dataBytes()) { // keep it inside the file so that only the overlap is wrong
                    return new Damaged(withData(root, spec, end + shift - spec.dataBytes()), t.name());
                }
            }
            case SIZE_NOT_SHAPE_TIMES_DTYPE -> {
                if (rnd.nextBoolean()) {
                    off.set(1, JSON.getNodeFactory().numberNode(end - 1));
                } else {
                    ((ArrayNode) e.get("shape")).add(2);
                }
            }
            case ENTRY_NOT_OBJECT -> root.set(t.name(), pick(rnd, JSON.createArrayNode().add(1),
                    JSON.getNodeFactory().textNode("F32"), JSON.getNodeFactory().nullNode()));
            case METADATA_NOT_STRING -> root.putObject("__metadata__").put("format", "pt")
                    .set("n", pick(rnd, JSON.getNodeFactory().numberNode(3), JSON.getNodeFactory().nullNode(),
                            JSON.createObjectNode(), JSON.createArrayNode(), JSON.getNodeFactory().booleanNode(false)));
            case METADATA_NOT_OBJECT -> root.set("__metadata__", pick(rnd, JSON.getNodeFactory().textNode("pt"),
                    JSON.createArrayNode(), JSON.getNodeFactory().nullNode()));
            case DEEPLY_NESTED -> {
                int depth = 2_000 + rnd.nextInt(20_000);
                String nested = "[".repeat(depth) + "]".repeat(depth);
                text = "{\"deep\":" + nested + "," + root.toString().substring(1);
            }
            case NOT_UTF8 -> {
                byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
                byte[] name = ("\"" + t.name() + "\"").getBytes(StandardCharsets.UTF_8);
                int at = indexOf(json, name) + 1 + rnd.nextInt(name.length - 2);
                json[at] = pick(rnd, (byte) 0xFF, (byte) 0xFE, (byte) 0xC0, (byte) 0xF8); // never valid in UTF-8
                return new Damaged(withData(json, spec, 0), t.name());
            }
            case DUPLICATE_NAME -> {
                String s = root.toString();
                text = s.substring(0, s.length() - 1) + ",\"" + t.name() + "\":" + e + "}";
            }
            case TRAILING_GARBAGE -> text = root + pick(rnd, "x", "{}", "]", "\"tail\"", "0", "{\"a\":1}");
            case ROOT_NOT_OBJECT -> text = pick(rnd, "[]", "\"a\"", "42", "null", "", "[" + root + "]");
            case CUT_JSON -> {
                String s = root.toString();
                text = s.substring(0, rnd.nextInt(s.length() - 1) + 1); // drops at least the closing brace
            }
            default -> throw new IllegalStateException(defect.name());
        }
        byte[] json = (text == null ? root.toString() : text).getBytes(StandardCharsets.UTF_8);
        return new Damaged(withData(json, spec, 0), t.name());
    }

    private static byte[] withData(ObjectNode root, FileSpec spec, long extra) {
        return withData(root.toString().getBytes(StandardCharsets.UTF_8), spec, extra);
    }

    /** Returns the whole file: the padded header, then the spec's data and {@code extra} more bytes. */
    private static byte[] withData(byte[] json, FileSpec spec, long extra) {
        byte[] data = Arrays.copyOf(spec.data(), Math.toIntExact(spec.dataBytes() + extra));
        return fileOf(pad(json, spec.padding()), data);
    }

    @SafeVarargs
    private static <T> T pick(Random rnd, T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }

    @Property(tries = 400, shrinking = ShrinkingMode.OFF)
    void everyDefectIsRefusedWithAClearMessage(@ForAll("nonEmptyFiles") FileSpec spec, @ForAll Defect defect,
            @ForAll Random rnd) {
        Damaged d = damage(spec, defect, rnd);
        Path f = write(d.json());
        long headerLength = ByteBuffer.wrap(d.json()).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] header = Arrays.copyOfRange(d.json(), 8, (int) (8 + headerLength));
        for (ThrowingHeader read : List.<ThrowingHeader>of(() -> SafeTensors.readHeader(f),
                () -> SafeTensors.parseHeader(header, d.json().length, f))) {
            SafeTensors.Header h = parsesOrFailsCleanly(f, read);
            assertThat(h).as("%s was accepted: %s", defect, new String(header, StandardCharsets.UTF_8)).isNull();
        }
        assertThatThrownBy(() -> SafeTensors.readHeader(f)).isInstanceOf(SafeTensorsException.class)
                .satisfies(e -> {
                    if (defect.namesTensor()) {
                        assertThat(e.getMessage()).as(defect.name()).contains("'" + d.tensor());
                    }
                });
    }

    // ---------------------------------------------------------------- round trip through DJL

    /**
     * One array to write: values are small multiples of 1/4 (exact in every float type) or small integers.
     *
     * @param name tensor name
     * @param type the storage type
     * @param shape dimensions
     * @param seed value seed
     */
    record ArraySpec(String name, StorageType type, long[] shape, long seed) {}

    @Provide
    Arbitrary<List<ArraySpec>> arrays() {
        Arbitrary<ArraySpec> a = Combinators.combine(
                Arbitraries.strings().withCharRange('a', 'z').withChars('.', '0').ofMinLength(1).ofMaxLength(8),
                Arbitraries.of(StorageType.class),
                Arbitraries.longs().between(0, 4).array(long[].class).ofMaxSize(3),
                Arbitraries.longs()).as(ArraySpec::new);
        return a.list().ofMaxSize(5).uniqueElements(ArraySpec::name);
    }

    static NDArray create(NDManager m, ArraySpec s) {
        Shape shape = new Shape(s.shape());
        int n = Math.toIntExact(shape.size());
        Random r = new Random(s.seed());
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = s.type().isFloating() ? (r.nextInt(512) - 256) / 4f : s.type() == StorageType.BOOL ? r.nextInt(2)
                    : r.nextInt(100);
        }
        NDArray f32 = m.create(f, shape);
        return switch (s.type()) {
            case F32, BF16 -> f32; // BF16 is stored from FLOAT32
            default -> f32.toType(s.type().loadType(), false);
        };
    }

    @Property(tries = 100)
    void writtenArraysRoundTrip(@ForAll("arrays") List<ArraySpec> specs, @ForAll boolean half) {
        DataType target = half ? DataType.FLOAT16 : DataType.FLOAT32;
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            List<SafeTensors.Entry> entries = new ArrayList<>();
            Map<String, NDArray> written = new LinkedHashMap<>();
            for (ArraySpec s : specs) {
                NDArray a = create(m, s);
                entries.add(new SafeTensors.Entry(s.name(), a, s.type()));
                written.put(s.name(), a);
            }
            Path f = dir.resolve("roundtrip.safetensors");
            SafeTensors.write(f, entries, Map.of("format", "pt"));
            SafeTensors.Header h = SafeTensors.readHeader(f);
            assertThat(h.metadata()).containsEntry("format", "pt");
            assertThat(h.tensors()).hasSize(specs.size());
            for (ArraySpec s : specs) {
                SafeTensors.TensorInfo info = h.find(s.name());
                assertThat(info.type()).isEqualTo(s.type());
                assertThat(info.shape()).isEqualTo(s.shape());
                NDArray loaded = SafeTensors.load(m, h, info, target);
                assertThat(loaded.getName()).isEqualTo(s.name());
                assertThat(loaded.getShape()).isEqualTo(new Shape(s.shape()));
                assertThat(loaded.getDataType())
                        .isEqualTo(s.type().isFloating() ? target : s.type().loadType());
                float[] expected = written.get(s.name()).toType(DataType.FLOAT32, true).toFloatArray();
                assertThat(loaded.toType(DataType.FLOAT32, true).toFloatArray()).as(s.toString()).isEqualTo(expected);
            }
        }
    }

    // ---------------------------------------------------------------- examples

    @Example
    void missingFileAndFolderAreRefused() throws IOException {
        Path missing = dir.resolve("absent.safetensors");
        assertThatThrownBy(() -> SafeTensors.readHeader(missing)).isInstanceOf(SafeTensorsException.class)
                .hasMessageContaining(missing.toString());
        Path folder = Files.createDirectories(dir.resolve("folder.safetensors"));
        assertThatThrownBy(() -> SafeTensors.readHeader(folder)).isInstanceOf(SafeTensorsException.class)
                .hasMessageContaining(folder.toString());
    }

    @Example
    void aGitLfsPointerIsRecognised() {
        Path f = write(("version https://git-lfs.github.com/spec/v1\n"
                + "oid sha256:4c4b4ab0b4a1e5d5e6e0f5c0a4d7c3f8b1e2d9f0a6b5c4d3e2f1a0b9c8d7e6f5\nsize 548105171\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> SafeTensors.readHeader(f)).isInstanceOf(SafeTensorsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("git lfs pull");
    }

    @Example
    void aTensorLargerThanOneMappingIsRefusedBeforeMapping() throws IOException {
        long numel = (1L << 29) + 1; // 2 GiB + 4 bytes of F32
        ObjectNode root = JSON.createObjectNode();
        ObjectNode e = root.putObject("big");
        e.put("dtype", "F32");
        e.putArray("shape").add(numel);
        e.putArray("data_offsets").add(0).add(numel * 4);
        byte[] header = pad(root.toString().getBytes(StandardCharsets.UTF_8), 0);
        Path f = dir.resolve("big.safetensors");
        Files.write(f, fileOf(header, new byte[0]));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 + header.length + numel * 4); // sparse: takes no disk space
        }
        SafeTensors.Header h = SafeTensors.readHeader(f);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            assertThatThrownBy(() -> SafeTensors.load(m, h, h.find("big"), DataType.FLOAT32))
                    .isInstanceOf(SafeTensorsException.class)
                    .hasMessageContaining("'big'")
                    .hasMessageContaining(f.toString());
        } finally {
            Files.delete(f);
        }
    }

    @Example
    void aHeaderDefectIsNamedWithTheFileAndTensor() {
        FileSpec spec = new FileSpec(List.of(new TensorSpec("wte.weight", StorageType.F32, new long[] {2, 3})),
                List.of(0), Map.of(), 0, 1);
        ObjectNode root = spec.header();
        ((ArrayNode) root.get("wte.weight").get("data_offsets")).set(1, JSON.getNodeFactory().numberNode(20));
        Path f = write(fileOf(root.toString().getBytes(StandardCharsets.UTF_8), spec.data()));
        assertThatThrownBy(() -> SafeTensors.readHeader(f)).isInstanceOf(SafeTensorsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("'wte.weight'")
                .hasMessageContaining("[0, 20]")
                .hasMessageContaining("needs 24");
    }

}
