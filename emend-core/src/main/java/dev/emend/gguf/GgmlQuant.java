package dev.emend.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts float32 values into the ggml types {@link GgufWriter} writes: F32, F16 and Q8_0. The inverse of
 * {@link GgmlDequant} for those types, bit-exact with gguf-py 0.19 ({@code gguf.quants.quantize}) and numpy's
 * float16 cast; {@code GgufWriterTest} and {@code tools/reference/check_gguf_written.py} hold that.
 *
 * <pre>
 * F16   IEEE half, round to nearest even; overflow gives infinity, NaN stays NaN (numpy npy_floatbits_to_halfbits)
 * Q8_0  per block of 32: d = max|x| / 127 (float32), q = round_half_away(x * (1/d)) as int8 (0 when d == 0);
 *       stored as f16(d) then the 32 int8 (ggml quantize_row_q8_0_ref)
 * </pre>
 */
public final class GgmlQuant {
    private GgmlQuant() {}

    /**
     * Narrows a float to an IEEE half with round-to-nearest-even, as numpy's {@code astype(np.float16)} and
     * PyTorch's {@code .half()}.
     *
     * @param f the value
     * @return the half's bit pattern in the low 16 bits
     */
    public static short floatToHalf(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int exp = x & 0x7F800000;
        if (exp >= 0x47800000) { // |f| >= 65536, infinity or NaN
            if (exp == 0x7F800000 && (x & 0x007FFFFF) != 0) {
                int nan = 0x7C00 + ((x & 0x007FFFFF) >>> 13);
                return (short) (sign | (nan == 0x7C00 ? 0x7C01 : nan)); // keep the payload's top bits, stay NaN
            }
            return (short) (sign | 0x7C00);
        }
        if (exp <= 0x38000000) { // |f| < 2^-14: a half subnormal or zero
            if (exp < 0x33000000) { // below half the smallest subnormal (2^-25): signed zero
                return (short) sign;
            }
            int e = exp >>> 23;
            int sig = 0x00800000 | (x & 0x007FFFFF);
            int shifted = sig >>> (113 - e);
            // ties to even: add half an ulp unless exactly a tie on an even value (bits lost by the shift count too)
            if ((shifted & 0x3FFF) != 0x1000 || (x & 0x7FF) != 0) {
                shifted += 0x1000;
            }
            return (short) (sign | (shifted >>> 13)); // a carry into the exponent gives the smallest normal: correct
        }
        int hexp = (exp - 0x38000000) >>> 13;
        int sig = x & 0x007FFFFF;
        if ((sig & 0x3FFF) != 0x1000) {
            sig += 0x1000;
        }
        return (short) (sign | (hexp + (sig >>> 13))); // a carry may round up to infinity (0x7C00): correct
    }

    /**
     * Bytes one run of {@code count} values takes in {@code type}.
     *
     * @param type F32, F16 or Q8_0
     * @param count element count, a multiple of the block size
     * @return the byte count
     */
    public static long byteSize(GgmlType type, long count) {
        requireWritable(type);
        return count / type.blockSize() * type.typeSize();
    }

    /**
     * Encodes values into {@code type}.
     *
     * @param type F32, F16 or Q8_0
     * @param src the values, row-major
     * @param from first value
     * @param count number of values; a multiple of the type's block size
     * @param dst receives {@link #byteSize} bytes at its position, little-endian; the position advances
     */
    public static void quantize(GgmlType type, float[] src, int from, int count, ByteBuffer dst) {
        requireWritable(type);
        if (count % type.blockSize() != 0) {
            throw new IllegalArgumentException("%d values are not whole %s blocks of %d".formatted(count, type,
                    type.blockSize()));
        }
        ByteBuffer out = dst.order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (int i = from; i < from + count; i++) {
                    out.putFloat(src[i]);
                }
            }
            case F16 -> {
                for (int i = from; i < from + count; i++) {
                    out.putShort(floatToHalf(src[i]));
                }
            }
            case Q8_0 -> {
                for (int b = from; b < from + count; b += 32) {
                    q80(src, b, out);
                }
            }
            default -> throw new IllegalStateException(type.name());
        }
    }

    /** One Q8_0 block in ggml's reference order; float32 arithmetic throughout, as numpy does it. */
    private static void q80(float[] x, int at, ByteBuffer out) {
        float amax = 0;
        for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(x[at + i]));
        }
        float d = amax / 127f;
        float id = d == 0 ? 0f : 1f / d;
        out.putShort(floatToHalf(d));
        for (int i = 0; i < 32; i++) {
            out.put((byte) roundHalfAway(x[at + i] * id));
        }
    }

    /** gguf-py {@code np_roundf}: floor(|v|) + floor(2 * frac(|v|)), with the sign of v. */
    private static int roundHalfAway(float v) {
        float a = Math.abs(v);
        float floored = (float) Math.floor(a);
        float r = floored + (float) Math.floor(2 * (a - floored));
        return (int) Math.copySign(r, v);
    }

    /**
     * @param type a ggml type
     * @return true if {@link #quantize} can write it
     */
    public static boolean isWritable(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.Q8_0;
    }

    private static void requireWritable(GgmlType type) {
        if (!isWritable(type)) {
            throw new IllegalArgumentException("Emend writes GGUF tensors as F32, F16 or Q8_0, not " + type
                    + "; write Q8_0 or F16 and re-quantise with llama.cpp's llama-quantize for other types");
        }
    }
}
