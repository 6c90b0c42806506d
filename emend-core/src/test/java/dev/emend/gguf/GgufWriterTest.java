package dev.emend.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.emend.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GgmlQuant} against PyTorch's half conversion and ggml's Q8_0 definition, and {@link GgufWriter} files read
 * back by {@link GgufFile}. Parity of written files with gguf-py is in {@code GgufModelsTest} (committed fixtures).
 */
class GgufWriterTest {
    @TempDir
    Path tmp;

    /** Every half round-trips; every midpoint between neighbours rounds to the even one. */
    @Test
    void floatToHalfIsRoundToNearestEvenOnEveryHalf() {
        for (int h = 0; h < 0x10000; h++) {
            float f = GgmlDequant.halfToFloat((short) h);
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(GgmlDequant.halfToFloat(GgmlQuant.floatToHalf(f)))).isTrue();
                continue;
            }
            assertThat(GgmlQuant.floatToHalf(f) & 0xFFFF).as("half %04x", h).isEqualTo(h);
            int next = h + 1;
            if ((h & 0x7FFF) < 0x7C00 && (next & 0x7FFF) <= 0x7C00 && (h & 0x8000) == (next & 0x8000)) {
                float g = GgmlDequant.halfToFloat((short) next);
                // exact: halves have 11 significant bits; above the largest half (65504) the next "half" is
                // infinity, and 65520 the point from which numpy and torch round up to it
                float mid = Float.isInfinite(g) ? Math.copySign(65520f, f) : (float) (((double) f + g) / 2);
                int even = (h & 1) == 0 ? h : next;
                assertThat(GgmlQuant.floatToHalf(mid) & 0xFFFF).as("midpoint above %04x", h).isEqualTo(even);
                float towardZero = Math.nextAfter(mid, 0.0);
                float awayFromZero = Math.nextAfter(mid, Math.copySign(Double.POSITIVE_INFINITY, mid));
                assertThat(GgmlQuant.floatToHalf(towardZero) & 0xFFFF).isEqualTo(h);
                assertThat(GgmlQuant.floatToHalf(awayFromZero) & 0xFFFF).isEqualTo(next);
            }
        }
        assertThat(GgmlQuant.floatToHalf(1e6f) & 0xFFFF).isEqualTo(0x7C00);
        assertThat(GgmlQuant.floatToHalf(-1e-9f) & 0xFFFF).isEqualTo(0x8000);
    }

    /** A million random bit patterns (every exponent) convert exactly as torch's {@code .half()}. */
    @Test
    void floatToHalfMatchesTorch() {
        Random r = new Random(11);
        float[] x = new float[1 << 20];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(x[i])) {
                x[i] = 0;
            }
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray h = m.create(x).toType(DataType.FLOAT16, false);
            ByteBuffer b = h.toByteBuffer(true).order(ByteOrder.nativeOrder());
            for (int i = 0; i < x.length; i++) {
                assertThat(GgmlQuant.floatToHalf(x[i])).as("%s", x[i]).isEqualTo(b.getShort(2 * i));
            }
        }
    }

    /** ggml's quantize_row_q8_0_ref written out: d = amax/127, q = round-half-away(x/d). */
    @Test
    void q80MatchesTheReferenceDefinition() {
        float[] x = new float[64];
        for (int i = 0; i < 32; i++) {
            x[i] = i - 16.5f; // amax 16.5: d = 16.5/127, halves round away from zero
        }
        x[40] = 2.5f; // second block: amax 2.5, the rest zero
        ByteBuffer b = ByteBuffer.allocate(68);
        GgmlQuant.quantize(GgmlType.Q8_0, x, 0, 64, b);
        b.flip().order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getShort(0)).isEqualTo(GgmlQuant.floatToHalf(16.5f / 127f));
        float id = 1f / (16.5f / 127f);
        for (int i = 0; i < 32; i++) {
            float v = x[i] * id;
            int want = (int) Math.signum(v) * (int) Math.floor(Math.abs(v) + 0.5f);
            assertThat((int) b.get(2 + i)).as("q[%d]", i).isEqualTo(want);
        }
        assertThat((int) b.get(2)).isEqualTo(-127);
        assertThat((int) b.get(34 + 2 + 8)).isEqualTo(127);
        float[] back = new float[64];
        GgmlDequant.dequantize(GgmlType.Q8_0, b, 0, back, 0, 2);
        for (int i = 0; i < 64; i++) {
            assertThat(Math.abs(back[i] - x[i])).isLessThanOrEqualTo(16.5f / 127f / 2 + 1e-3f);
        }
        ByteBuffer zero = ByteBuffer.allocate(34);
        GgmlQuant.quantize(GgmlType.Q8_0, new float[32], 0, 32, zero);
        assertThat(zero.array()).containsOnly(0);
    }

    @Test
    void writtenFilesReadBackWithEveryMetadataTypeAndTensor() throws IOException {
        Path file = tmp.resolve("w.gguf");
        Random r = new Random(5);
        float[] a = new float[3 * 64];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        float[] bias = {1, 2, 3};
        GgufFile source = GgufFile.read(Fixtures.root().resolve("gguf/types.gguf"));
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "test")
                .putUint32("test.u32", 4_000_000_000L)
                .putInt32("test.i32", -7)
                .putFloat32("test.f32", 0.1f)
                .putBool("test.bool", true)
                .putStringArray("test.strings", List.of("a", "ü", ""))
                .putInt32Array("test.ints", new int[] {1, -2, 3})
                .putFloat32Array("test.floats", new float[] {0.5f, -1});
        for (String k : source.metadata().keys()) {
            if (k.startsWith("test.array.") || k.startsWith("tokenizer.")) {
                w.copy(source.metadata(), k); // every element type, nested arrays included
            }
        }
        w.addTensor("f32", new long[] {3, 64}, GgmlType.F32, () -> a)
                .addTensor("f16", new long[] {3, 64}, GgmlType.F16, () -> a)
                .addTensor("q8", new long[] {3, 64}, GgmlType.Q8_0, () -> a)
                .addTensor("bias", new long[] {3}, GgmlType.F32, () -> bias);
        w.write(file);

        GgufFile f = GgufFile.read(file);
        assertThat(f.version()).isEqualTo(3);
        assertThat(f.metadata().getLong("test.u32")).isEqualTo(4_000_000_000L);
        assertThat(f.metadata().getInt("test.i32")).isEqualTo(-7);
        assertThat(f.metadata().getFloat("test.f32")).isEqualTo(0.1f);
        assertThat(f.metadata().getBool("test.bool")).isTrue();
        assertThat(f.metadata().getStringArray("test.strings")).containsExactly("a", "ü", "");
        assertThat(f.metadata().getIntArray("test.ints")).containsExactly(1, -2, 3);
        assertThat(f.metadata().getFloatArray("test.floats")).containsExactly(0.5f, -1f);
        for (String k : source.metadata().keys()) {
            if (k.startsWith("test.array.") || k.startsWith("tokenizer.")) {
                assertThat(f.metadata().type(k)).isEqualTo(source.metadata().type(k));
                assertThat(f.metadata().get(k).toString()).as(k).isEqualTo(source.metadata().get(k).toString());
            }
        }
        assertThat(f.dequantize(f.tensor("f32"))).containsExactly(a);
        assertThat(f.dequantize(f.tensor("bias"))).containsExactly(bias);
        assertThat(f.tensor("f16").shape()).containsExactly(3, 64);
        float[] h = f.dequantize(f.tensor("f16"));
        float[] q = f.dequantize(f.tensor("q8"));
        for (int i = 0; i < a.length; i++) {
            assertThat(h[i]).isEqualTo(GgmlDequant.halfToFloat(GgmlQuant.floatToHalf(a[i])));
            assertThat(Math.abs(q[i] - a[i])).isLessThan(0.03f);
        }
        for (GgufTensorInfo t : f.tensors()) {
            assertThat(t.offset() % 32).isZero();
        }
        byte[] first = Files.readAllBytes(file);
        w.write(file);
        assertThat(Files.readAllBytes(file)).as("the same input gives the same bytes").isEqualTo(first);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            assertThat(f.load(m, f.tensor("q8")).getShape()).isEqualTo(new Shape(3, 64));
        }
    }

    @Test
    void badTensorsAreRefusedWithTheReason() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.addTensor("x", new long[] {2, 33}, GgmlType.Q8_0, () -> new float[66]))
                .hasMessageContaining("rows of 33 values are not whole Q8_0 blocks of 32; store it as F16 or F32");
        assertThatThrownBy(() -> w.addTensor("x", new long[] {32}, GgmlType.Q4_K, () -> new float[32]))
                .hasMessageContaining("F32, F16 or Q8_0, not Q4_K");
        assertThatThrownBy(() -> w.putString(GgufFile.ALIGNMENT_KEY, "x")).hasMessageContaining("default alignment");
        w.addTensor("x", new long[] {4}, GgmlType.F32, () -> new float[3]);
        Path file = tmp.resolve("bad.gguf");
        assertThatThrownBy(() -> w.write(file)).isInstanceOf(GgufException.class)
                .hasMessageContaining("tensor 'x' [4] supplied 3 values, expected 4");
        assertThat(file).doesNotExist();
        try (var files = Files.list(tmp)) {
            assertThat(files.toList()).as("no partial file is left").isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
