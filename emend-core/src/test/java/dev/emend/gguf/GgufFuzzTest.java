package dev.emend.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.emend.EmendException;
import dev.emend.gguf.GgufBytes.Arr;
import dev.emend.gguf.GgufBytes.Kv;
import dev.emend.gguf.GgufBytes.Layout;
import dev.emend.gguf.GgufBytes.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Throws generated and damaged GGUF files at the reader. Valid files (every metadata type, nested arrays, every ggml
 * type, 0-4 dimensions, shuffled data order, alignments 1..256) must parse to exactly what was written and
 * dequantise from the file as from their bytes. Truncated files, random byte flips, absurd counts and lengths, and
 * random bytes behind a valid magic may only fail with a {@link GgufException} naming the file: never another
 * exception, an {@code OutOfMemoryError} or a hang (each try runs under a time limit).
 */
class GgufFuzzTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private static Path dir;

    @BeforeContainer
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("emend-gguf-fuzz");
    }

    @AfterContainer
    static void deleteDir() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Path write(byte[] bytes) {
        Path f = dir.resolve("fuzz.gguf");
        try {
            Files.write(f, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }

    // ---------------------------------------------------------------- model of a valid file

    /** A valid file: version, metadata, tensors and the order of their data. */
    record FileSpec(int version, List<Kv> kvs, List<Tensor> tensors, List<Integer> dataOrder) {
        Layout build() {
            return GgufBytes.build(version, kvs, tensors, dataOrder);
        }

        @Override
        public String toString() {
            return "v" + version + " " + kvs + " " + tensors + " order " + dataOrder;
        }
    }

    private static Arbitrary<String> text() {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0x20, 0x7E)),
                Tuple.of(1, Arbitraries.integers().between(0, 0xD7FF)),
                Tuple.of(1, Arbitraries.integers().between(0xE000, 0x10FFFF)));
        return codePoint.list().ofMaxSize(10)
                .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
    }

    private static Arbitrary<Object> scalar(GgufValueType t) {
        return switch (t) {
            case UINT8 -> Arbitraries.longs().between(0, 0xFF).map(v -> v);
            case INT8 -> Arbitraries.longs().between(Byte.MIN_VALUE, Byte.MAX_VALUE).map(v -> v);
            case UINT16 -> Arbitraries.longs().between(0, 0xFFFF).map(v -> v);
            case INT16 -> Arbitraries.longs().between(Short.MIN_VALUE, Short.MAX_VALUE).map(v -> v);
            case UINT32 -> Arbitraries.longs().between(0, 0xFFFF_FFFFL).map(v -> v);
            case INT32 -> Arbitraries.longs().between(Integer.MIN_VALUE, Integer.MAX_VALUE).map(v -> v);
            case UINT64, INT64 -> Arbitraries.longs().map(v -> v);
            case FLOAT32 -> Arbitraries.integers().map(bits -> Float.intBitsToFloat(bits));
            case FLOAT64 -> Arbitraries.longs().map(bits -> Double.longBitsToDouble(bits));
            case BOOL -> Arbitraries.of(true, false).map(v -> v);
            case STRING -> text().map(v -> v);
            case ARRAY -> throw new IllegalArgumentException();
        };
    }

    private static Arbitrary<Object> value(GgufValueType t, int depth) {
        if (t != GgufValueType.ARRAY) {
            return scalar(t);
        }
        Arbitrary<GgufValueType> elementTypes = depth >= 2
                ? Arbitraries.of(GgufValueType.class).filter(e -> e != GgufValueType.ARRAY)
                : Arbitraries.of(GgufValueType.class);
        return elementTypes.flatMap(et -> value(et, depth + 1).list().ofMaxSize(4).map(es -> new Arr(et, es)));
    }

    private static Arbitrary<List<Kv>> metadata() {
        Arbitrary<String> keys = Arbitraries.strings().withCharRange('a', 'z').withChars('.', '_', '0', '\u00e9')
                .ofMinLength(0).ofMaxLength(12).filter(k -> !k.equals(GgufFile.ALIGNMENT_KEY));
        Arbitrary<Kv> kv = Combinators.combine(keys, Arbitraries.of(GgufValueType.class))
                .flatAs((k, t) -> value(t, 1).map(v -> new Kv(k, t, v)));
        Arbitrary<List<Kv>> kvs = kv.list().ofMaxSize(6).uniqueElements(Kv::key);
        Arbitrary<Long> alignment = Arbitraries.of(0L, 0L, 1L, 8L, 32L, 64L, 256L); // 0: no key (default 32)
        return Combinators.combine(kvs, alignment, Arbitraries.integers().between(0, 6)).as((list, a, where) -> {
            List<Kv> out = new ArrayList<>(list);
            if (a > 0) {
                out.add(Math.min(where, out.size()), new Kv(GgufFile.ALIGNMENT_KEY, GgufValueType.UINT32, a));
            }
            return out;
        });
    }

    private static Arbitrary<Tensor> tensor() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').withChars('.', '_', '7', '\u5b57')
                .ofMinLength(1).ofMaxLength(10);
        Arbitrary<long[]> outer = Arbitraries.longs().between(0, 2).array(long[].class).ofMaxSize(3);
        return Combinators.combine(names, Arbitraries.of(GgmlType.class), Arbitraries.integers().between(0, 2), outer,
                Arbitraries.longs()).as((name, type, blocks, rest, seed) -> {
                    long[] dims;
                    if (rest.length == 0 && blocks == 1 && type.blockSize() == 1) {
                        dims = new long[0]; // a scalar
                    } else {
                        dims = new long[1 + rest.length];
                        dims[0] = (long) blocks * type.blockSize();
                        System.arraycopy(rest, 0, dims, 1, rest.length);
                    }
                    Tensor shapeOnly = new Tensor(name, dims, type, new byte[0]);
                    byte[] data = new byte[(int) shapeOnly.bytes()];
                    new Random(seed).nextBytes(data);
                    return new Tensor(name, dims, type, data);
                });
    }

    @Provide
    Arbitrary<FileSpec> files() {
        Arbitrary<List<Tensor>> tensors = tensor().list().ofMaxSize(5).uniqueElements(Tensor::name);
        return Combinators.combine(Arbitraries.of(2, 3), metadata(), tensors).flatAs((v, kvs, ts) -> {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < ts.size(); i++) {
                idx.add(i);
            }
            return Arbitraries.shuffle(idx).map(order -> new FileSpec(v, kvs, ts, order));
        });
    }

    // ---------------------------------------------------------------- checks

    /** Runs {@code body} under the time limit; it may succeed or fail only with a GgufException naming {@code file}. */
    static GgufFile parsesOrFailsCleanly(Path file, Supplier<GgufFile> body) {
        return assertTimeoutPreemptively(LIMIT, () -> {
            try {
                return body.get();
            } catch (EmendException e) {
                assertThat(e).isInstanceOf(GgufException.class);
                assertThat(e.getMessage()).contains(file.toString());
                return null;
            } catch (Throwable t) {
                throw new AssertionError("the reader must fail with GgufException, not " + t, t);
            }
        });
    }

    /** Dequantises every tensor of a parsed file: only GgufException (unsupported type) may come out. */
    static void dequantizeAll(GgufFile f) {
        for (GgufTensorInfo t : f.tensors()) {
            if (t.numel() > 1 << 20) {
                continue;
            }
            try {
                float[] v = f.dequantize(t);
                assertThat(v).hasSize((int) t.numel());
                assertThat(t.type().isDequantizable()).isTrue();
            } catch (GgufException e) {
                assertThat(t.type().isDequantizable()).as(e.getMessage()).isFalse();
                assertThat(e.getMessage()).contains(t.name()).contains("llama-quantize");
            }
        }
    }

    static void assertSameValue(String where, GgufValueType type, Object want, Object got) {
        if (type == GgufValueType.ARRAY) {
            Arr a = (Arr) want;
            GgufArray g = (GgufArray) got;
            assertThat(g.elementType()).as(where).isEqualTo(a.elementType());
            assertThat(g.size()).as(where).isEqualTo(a.elements().size());
            for (int i = 0; i < g.size(); i++) {
                assertSameValue(where + "[" + i + "]", a.elementType(), a.elements().get(i), g.get(i));
            }
        } else if (type == GgufValueType.FLOAT32) {
            assertThat(Float.floatToRawIntBits((Float) got)).as(where).isEqualTo(Float.floatToRawIntBits((Float) want));
        } else if (type == GgufValueType.FLOAT64) {
            assertThat(Double.doubleToRawLongBits((Double) got)).as(where)
                    .isEqualTo(Double.doubleToRawLongBits((Double) want));
        } else {
            assertThat(got).as(where).isEqualTo(want);
        }
    }

    // ---------------------------------------------------------------- valid files

    @Property(tries = 200)
    void validFilesParseToWhatWasWritten(@ForAll("files") FileSpec spec) {
        Layout l = spec.build();
        Statistics.label("kvs").collect(spec.kvs().size());
        Statistics.label("tensors").collect(spec.tensors().size());
        Statistics.label("bytes").collect(l.bytes.length < 1000 ? "<1000" : l.bytes.length < 10000 ? "<10000" : ">=10000");
        Path f = write(l.bytes);
        GgufFile g = GgufFile.read(f);
        GgufFile pure = GgufFile.parse(ByteBuffer.wrap(l.bytes), l.bytes.length, f);
        assertThat(pure.tensors()).isEqualTo(g.tensors());
        assertThat(g.version()).isEqualTo(spec.version());
        assertThat(g.alignment()).isEqualTo(l.alignment);
        assertThat(g.dataStart()).isEqualTo(l.dataStart);
        assertThat(g.metadata().keys()).containsExactlyElementsOf(spec.kvs().stream().map(Kv::key).toList());
        for (Kv kv : spec.kvs()) {
            assertThat(g.metadata().type(kv.key())).isEqualTo(kv.type());
            assertSameValue(kv.key(), kv.type(), kv.value(), g.metadata().get(kv.key()));
        }
        assertThat(g.tensors()).hasSize(spec.tensors().size());
        for (int i = 0; i < spec.tensors().size(); i++) {
            Tensor t = spec.tensors().get(i);
            GgufTensorInfo info = g.tensors().get(i);
            assertThat(info.name()).isEqualTo(t.name());
            assertThat(info.dims()).isEqualTo(t.dims());
            assertThat(info.type()).isEqualTo(t.type());
            assertThat(info.offset()).isEqualTo(l.offsets.get(i));
            assertThat(info.byteSize()).isEqualTo(t.bytes());
            if (t.bytes() > 0) {
                ByteBuffer mapped = g.map(info);
                byte[] bytes = new byte[mapped.remaining()];
                mapped.get(bytes);
                assertThat(bytes).isEqualTo(t.data());
            }
            if (t.type().isDequantizable()) {
                float[] want = new float[(int) t.numel()];
                GgmlDequant.dequantize(t.type(), ByteBuffer.wrap(t.data()), 0, want, 0, (int) (t.numel()
                        / t.type().blockSize()));
                float[] got = new float[want.length];
                g.dequantize(info, 0, got, 0, got.length, 3L * t.type().typeSize()); // several mappings
                GgufParityTest.assertSameFloats(info, "file", want, got);
            }
        }
    }

    // ---------------------------------------------------------------- damaged files

    @Property(tries = 200)
    void truncatedFilesAreRefusedUnlessEveryTensorSurvives(@ForAll("files") FileSpec spec,
            @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double where,
            @ForAll @IntRange(min = 0, max = 300) int trailing) {
        Layout l = spec.build();
        byte[] padded = Arrays.copyOf(l.bytes, l.bytes.length + trailing); // GGUFWriter pads the last tensor too
        int cut = (int) (where * padded.length);
        byte[] bytes = Arrays.copyOf(padded, cut);
        Path f = write(bytes);
        GgufFile g = parsesOrFailsCleanly(f, () -> GgufFile.read(f));
        Statistics.collect(g == null ? "refused" : "parsed");
        assertThat(g != null).as("parsed a file cut at %d of %d bytes", cut, padded.length)
                .isEqualTo(cut >= l.headerEnd && cut >= l.needed());
        GgufFile p = parsesOrFailsCleanly(f, () -> GgufFile.parse(ByteBuffer.wrap(bytes), bytes.length, f));
        assertThat(p != null).isEqualTo(g != null);
    }

    @Property(tries = 300, shrinking = ShrinkingMode.OFF)
    void byteFlipsFailCleanlyOrParse(@ForAll("files") FileSpec spec, @ForAll @IntRange(min = 1, max = 8) int flips,
            @ForAll Random rnd) {
        Layout l = spec.build();
        byte[] bytes = l.bytes.clone();
        for (int i = 0; i < flips; i++) {
            boolean inHeader = l.headerEnd > 0 && rnd.nextInt(10) < 9;
            int at = inHeader ? rnd.nextInt(l.headerEnd) : rnd.nextInt(bytes.length);
            bytes[at] = (byte) (rnd.nextBoolean() ? bytes[at] ^ (1 << rnd.nextInt(8)) : rnd.nextInt(256));
        }
        Path f = write(bytes);
        GgufFile g = parsesOrFailsCleanly(f, () -> GgufFile.read(f));
        parsesOrFailsCleanly(f, () -> GgufFile.parse(ByteBuffer.wrap(bytes), bytes.length, f));
        Statistics.collect(g == null ? "refused" : "parsed");
        if (g != null) {
            assertTimeoutPreemptively(LIMIT, () -> dequantizeAll(g));
        }
    }

    /** Numeric fields an attacker (or a bit flip) can make absurd. */
    enum Field {
        TENSOR_COUNT, KV_COUNT, KEY_LENGTH, VALUE_TYPE, STRING_OR_ARRAY_LENGTH, TENSOR_NAME_LENGTH, N_DIMS, DIM,
        TENSOR_TYPE, TENSOR_OFFSET
    }

    @Provide
    Arbitrary<Long> absurd() {
        return Arbitraries.oneOf(
                Arbitraries.of(-1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 32, (1L << 32) - 1, 1L << 31, (1L << 31) - 1,
                        1L << 62, 1L << 40, 0x7FFF_FFF8L, 13L, 5L, 0L, 1L, 2L, 100L, 1000L),
                Arbitraries.longs());
    }

    @Property(tries = 400, shrinking = ShrinkingMode.OFF)
    void absurdCountsAndLengthsNeverAllocateOrHang(@ForAll("files") FileSpec spec, @ForAll Field field,
            @ForAll("absurd") long value, @ForAll Random rnd) {
        Layout l = spec.build();
        ByteBuffer b = ByteBuffer.wrap(l.bytes.clone()).order(ByteOrder.LITTLE_ENDIAN);
        int nk = l.kvAt.size();
        int nt = l.tensorAt.size();
        switch (field) {
            case TENSOR_COUNT -> b.putLong(8, value);
            case KV_COUNT -> b.putLong(16, value);
            case KEY_LENGTH -> {
                if (nk > 0) {
                    b.putLong(l.kvAt.get(rnd.nextInt(nk)), value);
                }
            }
            case VALUE_TYPE -> {
                if (nk > 0) {
                    b.putInt(l.kvTypeAt.get(rnd.nextInt(nk)), (int) value);
                }
            }
            case STRING_OR_ARRAY_LENGTH -> {
                List<Integer> lengths = new ArrayList<>();
                for (int i = 0; i < nk; i++) {
                    GgufValueType t = spec.kvs().get(i).type();
                    if (t == GgufValueType.STRING) {
                        lengths.add(l.kvValueAt.get(i));
                    } else if (t == GgufValueType.ARRAY) {
                        lengths.add(l.kvValueAt.get(i) + 4);
                    }
                }
                if (!lengths.isEmpty()) {
                    b.putLong(lengths.get(rnd.nextInt(lengths.size())), value);
                }
            }
            case TENSOR_NAME_LENGTH -> {
                if (nt > 0) {
                    b.putLong(l.tensorAt.get(rnd.nextInt(nt)), value);
                }
            }
            case N_DIMS -> {
                if (nt > 0) {
                    b.putInt(l.nDimsAt.get(rnd.nextInt(nt)), (int) value);
                }
            }
            case DIM -> {
                int i = nt == 0 ? -1 : rnd.nextInt(nt);
                if (i >= 0 && spec.tensors().get(i).dims().length > 0) {
                    int d = rnd.nextInt(spec.tensors().get(i).dims().length);
                    b.putLong(l.nDimsAt.get(i) + 4 + 8 * d, value);
                }
            }
            case TENSOR_TYPE -> {
                if (nt > 0) {
                    b.putInt(l.typeAt.get(rnd.nextInt(nt)), (int) value);
                }
            }
            case TENSOR_OFFSET -> {
                if (nt > 0) {
                    b.putLong(l.offsetAt.get(rnd.nextInt(nt)), value);
                }
            }
        }
        byte[] bytes = b.array();
        Path f = write(bytes);
        GgufFile g = parsesOrFailsCleanly(f, () -> GgufFile.read(f));
        Statistics.collect(field, g == null ? "refused" : "parsed");
        if (g != null) {
            assertTimeoutPreemptively(LIMIT, () -> dequantizeAll(g));
        }
    }

    @Property(tries = 300)
    void randomBytesBehindAValidMagicFailCleanly(@ForAll @Size(max = 300) byte[] tail, @ForAll boolean v2) {
        ByteBuffer b = ByteBuffer.allocate(8 + tail.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufParser.MAGIC).putInt(v2 ? 2 : 3).put(tail);
        byte[] bytes = b.array();
        Path f = write(bytes);
        parsesOrFailsCleanly(f, () -> GgufFile.read(f));
        parsesOrFailsCleanly(f, () -> GgufFile.parse(ByteBuffer.wrap(bytes), bytes.length, f));
    }

    @Property(tries = 200)
    void randomBytesFailCleanly(@ForAll @Size(max = 64) byte[] bytes) {
        Path f = write(bytes);
        GgufFile g = parsesOrFailsCleanly(f, () -> GgufFile.read(f));
        assertThat(g).isNull();
    }
}
