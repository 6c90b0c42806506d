package dev.emend.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.stream.IntStream;

/**
 * bfloat16 conversion in Java. DJL's PyTorch JNI has no bfloat16 and aborts the JVM on it (djl-notes §0.4), so BF16
 * checkpoints are widened to FLOAT32 (exact: a bf16 value is the top half of its float32) and narrowed back with
 * round-to-nearest-even when saved.
 */
public final class Bf16 {
    private static final int CHUNK = 1 << 16;

    private Bf16() {}

    /**
     * Widens little-endian bf16 data into a new torch-owned FLOAT32 array (no direct-memory quota used).
     *
     * @param manager a CPU manager that owns the result
     * @param src bf16 values, little-endian, starting at position 0
     * @param shape the tensor shape
     * @return a FLOAT32 array of {@code shape}
     */
    public static NDArray widen(NDManager manager, ByteBuffer src, Shape shape) {
        int n = Math.toIntExact(shape.size());
        NDArray out = manager.create(shape, DataType.FLOAT32);
        if (n == 0) {
            return out;
        }
        IntBuffer dst = out.toByteBuffer(true).order(ByteOrder.nativeOrder()).asIntBuffer();
        ShortBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        IntStream.range(0, (n + CHUNK - 1) / CHUNK).parallel().forEach(c -> {
            int lo = c * CHUNK;
            int len = Math.min(CHUNK, n - lo);
            short[] h = new short[len];
            int[] f = new int[len];
            in.get(lo, h, 0, len);
            for (int i = 0; i < len; i++) {
                f[i] = (h[i] & 0xFFFF) << 16;
            }
            dst.put(lo, f, 0, len);
        });
        return out;
    }

    /**
     * Rounds a float to bfloat16 (nearest, ties to even; NaN stays NaN).
     *
     * @param value a float
     * @return the bf16 bit pattern in the low 16 bits
     */
    public static short narrow(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x007FFFFF) != 0) {
            return (short) ((bits >>> 16) | 0x0040); // quiet NaN, sign kept
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /**
     * Widens one bf16 bit pattern.
     *
     * @param bits bf16 bits in the low 16 bits
     * @return the float value
     */
    public static float widen(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
