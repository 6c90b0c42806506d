package dev.emend.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts ggml tensor data to float32: F32, F16, BF16, the 32-element block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
 * and the 256-element K-quants Q4_K, Q5_K, Q6_K.
 *
 * <p>Block layouts (little-endian; {@code f16} is an IEEE half, {@code d} a scale, {@code m} a min; a "nibble" is
 * 4 bits, low nibbles of bytes 0..15 are elements 0..15 and high nibbles are elements 16..31 unless stated):
 * <pre>
 * Q4_0  18 B: f16 d, 16 B nibbles                        y = (q - 8) * d
 * Q4_1  20 B: f16 d, f16 m, 16 B nibbles                 y = d * q + m
 * Q5_0  22 B: f16 d, u32 qh (bit i = 5th bit of y[i]), 16 B nibbles      y = (q - 16) * d
 * Q5_1  24 B: f16 d, f16 m, u32 qh, 16 B nibbles         y = d * q + m
 * Q8_0  34 B: f16 d, 32 x int8                            y = q * d
 * Q4_K 144 B: f16 d, f16 dmin, 12 B of 8 packed 6-bit (scale, min) pairs, 128 B nibbles.
 *             Sub-block s (32 elements) uses bytes 32*(s/2).. of the nibbles, low nibbles for even s, high for odd;
 *             y = (d * sc[s]) * q - (dmin * mn[s]).
 * Q5_K 176 B: as Q4_K plus 32 B qh after the scales: bit s of qh[l] is the 5th bit of element l of sub-block s.
 * Q6_K 210 B: 128 B ql (low 4 bits), 64 B qh (high 2 bits), 16 x int8 scales (one per 16 elements), f16 d;
 *             y = (d * scale) * (q - 32). Per 128-element half: elements l, l+32, l+64, l+96 (l &lt; 32) take the
 *             low nibble of ql[l], low nibble of ql[l+32], high nibble of ql[l], high nibble of ql[l+32], and bits
 *             0-1, 2-3, 4-5, 6-7 of qh[l].
 * </pre>
 * The arithmetic is done in float32 in the same order as ggml's reference {@code dequantize_row_*} and gguf-py's
 * {@code quants.py} ({@code (d * sc) * q - (dmin * m)}: Java never fuses a multiply-add), so the results are
 * bit-identical to gguf-py; {@code GgufParityTest} holds that.
 *
 * <p>Plain loops over a scratch copy of at most 16 KiB of blocks; nothing is allocated per element.
 */
public final class GgmlDequant {
    private static final int SCRATCH_BYTES = 16 * 1024;

    /** float32 value of every half-precision bit pattern (256 KiB, built once; read-only). */
    private static final float[] HALF = new float[1 << 16];

    static {
        for (int h = 0; h < HALF.length; h++) {
            HALF[h] = halfBitsToFloat(h);
        }
    }

    private GgmlDequant() {}

    /**
     * Widens one IEEE half (exact; NaN payloads are kept).
     *
     * @param bits the half's bit pattern
     * @return the float value
     */
    public static float halfToFloat(short bits) {
        return HALF[bits & 0xFFFF];
    }

    private static float halfBitsToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) { // infinity or NaN: keep the payload
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp != 0) { // normal: rebias 15 -> 127
            return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
        }
        float v = mant * 0x1p-24f; // zero or subnormal: mant * 2^-24, exact in float
        return sign != 0 ? -v : v;
    }

    /**
     * Dequantises whole blocks.
     *
     * @param type a type with {@link GgmlType#isDequantizable()}
     * @param src the tensor bytes; read with absolute indices, so its position is ignored and unchanged, and
     *     concurrent calls on the same buffer are safe
     * @param srcIndex index in {@code src} of the first block's first byte
     * @param dst receives {@code blocks * type.blockSize()} floats
     * @param dstIndex index in {@code dst} of the first value
     * @param blocks number of blocks
     * @throws IllegalArgumentException if the type is not supported or a range lies outside its buffer
     */
    public static void dequantize(GgmlType type, ByteBuffer src, int srcIndex, float[] dst, int dstIndex,
            int blocks) {
        if (!type.isDequantizable()) {
            throw new IllegalArgumentException(
                    "cannot dequantise %s; supported: %s".formatted(type, GgmlType.dequantizableNames()));
        }
        long srcEnd = srcIndex + (long) blocks * type.typeSize();
        long dstEnd = dstIndex + (long) blocks * type.blockSize();
        if (blocks < 0 || srcIndex < 0 || srcEnd > src.limit() || dstIndex < 0 || dstEnd > dst.length) {
            throw new IllegalArgumentException(("%d %s blocks: source bytes [%d, %d) of %d, destination [%d, %d) of %d")
                    .formatted(blocks, type, srcIndex, srcEnd, src.limit(), dstIndex, dstEnd, dst.length));
        }
        if (type == GgmlType.F32) {
            src.slice(srcIndex, blocks * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, dstIndex, blocks);
            return;
        }
        int perChunk = Math.max(1, SCRATCH_BYTES / type.typeSize());
        byte[] b = new byte[Math.min(blocks, perChunk) * type.typeSize()];
        for (int done = 0; done < blocks; done += perChunk) {
            int n = Math.min(perChunk, blocks - done);
            src.get(srcIndex + done * type.typeSize(), b, 0, n * type.typeSize());
            decode(type, b, n, dst, dstIndex + done * type.blockSize());
        }
    }

    private static void decode(GgmlType type, byte[] b, int n, float[] y, int o) {
        switch (type) {
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    y[o + i] = HALF[u16(b, 2 * i)];
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    y[o + i] = Float.intBitsToFloat(u16(b, 2 * i) << 16);
                }
            }
            case Q4_0 -> q40(b, n, y, o);
            case Q4_1 -> q41(b, n, y, o);
            case Q5_0 -> q50(b, n, y, o);
            case Q5_1 -> q51(b, n, y, o);
            case Q8_0 -> q80(b, n, y, o);
            case Q4_K -> q4k(b, n, y, o);
            case Q5_K -> q5k(b, n, y, o);
            case Q6_K -> q6k(b, n, y, o);
            default -> throw new IllegalStateException(type.name());
        }
    }

    private static int u16(byte[] b, int p) {
        return (b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8;
    }

    private static int u32(byte[] b, int p) {
        return (b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8 | (b[p + 2] & 0xFF) << 16 | (b[p + 3] & 0xFF) << 24;
    }

    private static float f16(byte[] b, int p) {
        return HALF[u16(b, p)];
    }

    private static void q40(byte[] b, int n, float[] y, int o) {
        for (int i = 0, p = 0; i < n; i++, p += 18, o += 32) {
            float d = f16(b, p);
            for (int j = 0; j < 16; j++) {
                int q = b[p + 2 + j] & 0xFF;
                y[o + j] = ((q & 0xF) - 8) * d;
                y[o + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    private static void q41(byte[] b, int n, float[] y, int o) {
        for (int i = 0, p = 0; i < n; i++, p += 20, o += 32) {
            float d = f16(b, p);
            float m = f16(b, p + 2);
            for (int j = 0; j < 16; j++) {
                int q = b[p + 4 + j] & 0xFF;
                y[o + j] = d * (q & 0xF) + m;
                y[o + j + 16] = d * (q >>> 4) + m;
            }
        }
    }

    private static void q50(byte[] b, int n, float[] y, int o) {
        for (int i = 0, p = 0; i < n; i++, p += 22, o += 32) {
            float d = f16(b, p);
            int qh = u32(b, p + 2);
            for (int j = 0; j < 16; j++) {
                int q = b[p + 6 + j] & 0xFF;
                int lo = (q & 0xF) | ((qh >>> j) & 1) << 4;
                int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
                y[o + j] = (lo - 16) * d;
                y[o + j + 16] = (hi - 16) * d;
            }
        }
    }

    private static void q51(byte[] b, int n, float[] y, int o) {
        for (int i = 0, p = 0; i < n; i++, p += 24, o += 32) {
            float d = f16(b, p);
            float m = f16(b, p + 2);
            int qh = u32(b, p + 4);
            for (int j = 0; j < 16; j++) {
                int q = b[p + 8 + j] & 0xFF;
                int lo = (q & 0xF) | ((qh >>> j) & 1) << 4;
                int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
                y[o + j] = d * lo + m;
                y[o + j + 16] = d * hi + m;
            }
        }
    }

    private static void q80(byte[] b, int n, float[] y, int o) {
        for (int i = 0, p = 0; i < n; i++, p += 34, o += 32) {
            float d = f16(b, p);
            for (int j = 0; j < 32; j++) {
                y[o + j] = b[p + 2 + j] * d;
            }
        }
    }

    /**
     * Unpacks sub-block {@code s}'s 6-bit scale (low 16 bits of the result) and min (high 16 bits) from the 12
     * packed bytes at {@code k}: for s &lt; 4 they are the low 6 bits of bytes s and s+4; for s &gt;= 4 the low
     * nibble (scale) or high nibble (min) of byte s+4, with the top 2 bits of bytes s-4 (scale) and s (min).
     */
    private static int scaleMin(byte[] b, int k, int s) {
        int sc;
        int mn;
        if (s < 4) {
            sc = b[k + s] & 0x3F;
            mn = b[k + s + 4] & 0x3F;
        } else {
            sc = (b[k + s + 4] & 0x0F) | ((b[k + s - 4] & 0xFF) >>> 6) << 4;
            mn = ((b[k + s + 4] & 0xFF) >>> 4) | ((b[k + s] & 0xFF) >>> 6) << 4;
        }
        return sc | mn << 16;
    }

    private static void q4k(byte[] b, int n, float[] y, int o) {
        for (int i = 0, p = 0; i < n; i++, p += 144, o += 256) {
            float d = f16(b, p);
            float dmin = f16(b, p + 2);
            for (int s = 0; s < 8; s++) {
                int sm = scaleMin(b, p + 4, s);
                float d1 = d * (sm & 0xFFFF);
                float m1 = dmin * (sm >>> 16);
                int qs = p + 16 + 32 * (s >>> 1);
                int shift = (s & 1) * 4;
                int out = o + 32 * s;
                for (int l = 0; l < 32; l++) {
                    y[out + l] = d1 * (((b[qs + l] & 0xFF) >>> shift) & 0xF) - m1;
                }
            }
        }
    }

    private static void q5k(byte[] b, int n, float[] y, int o) {
        for (int i = 0, p = 0; i < n; i++, p += 176, o += 256) {
            float d = f16(b, p);
            float dmin = f16(b, p + 2);
            int qh = p + 16;
            for (int s = 0; s < 8; s++) {
                int sm = scaleMin(b, p + 4, s);
                float d1 = d * (sm & 0xFFFF);
                float m1 = dmin * (sm >>> 16);
                int qs = p + 48 + 32 * (s >>> 1);
                int shift = (s & 1) * 4;
                int out = o + 32 * s;
                for (int l = 0; l < 32; l++) {
                    int q = (((b[qs + l] & 0xFF) >>> shift) & 0xF) | (((b[qh + l] & 0xFF) >>> s) & 1) << 4;
                    y[out + l] = d1 * q - m1;
                }
            }
        }
    }

    private static void q6k(byte[] b, int n, float[] y, int o) {
        float[] ds = new float[16];
        for (int i = 0, p = 0; i < n; i++, p += 210, o += 256) {
            float d = f16(b, p + 208);
            for (int k = 0; k < 16; k++) {
                ds[k] = d * b[p + 192 + k];
            }
            for (int h = 0; h < 2; h++) {
                int ql = p + 64 * h;
                int qh = p + 128 + 32 * h;
                int sc = 8 * h;
                int out = o + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int a = b[ql + l] & 0xFF;
                    int c = b[ql + 32 + l] & 0xFF;
                    int hb = b[qh + l] & 0xFF;
                    int is = sc + (l >>> 4);
                    y[out + l] = ds[is] * (((a & 0xF) | (hb & 3) << 4) - 32);
                    y[out + l + 32] = ds[is + 2] * (((c & 0xF) | ((hb >>> 2) & 3) << 4) - 32);
                    y[out + l + 64] = ds[is + 4] * (((a >>> 4) | ((hb >>> 4) & 3) << 4) - 32);
                    y[out + l + 96] = ds[is + 6] * (((c >>> 4) | ((hb >>> 6) & 3) << 4) - 32);
                }
            }
        }
    }
}
