package dev.emend.gguf;

/**
 * The ggml tensor types a GGUF file may declare, with their on-disk layout: {@link #blockSize()} elements are stored
 * in {@link #typeSize()} bytes. The ids and sizes follow ggml's {@code ggml_type} table (gguf-py 0.19
 * {@code GGML_QUANT_SIZES}); ids 4, 5, 31-33 and 36-38 were removed from ggml and are unknown here.
 *
 * <p>Every listed type can be parsed (so a file with, say, an IQ2_XS tensor still opens); only the types with
 * {@link #isDequantizable()} can be turned into float32 by {@link GgmlDequant}.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 40, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false),
    NVFP4(40, 64, 36, false),
    Q1_0(41, 128, 18, false);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean dequantizable;

    GgmlType(int id, int blockSize, int typeSize, boolean dequantizable) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.dequantizable = dequantizable;
    }

    /** @return the id stored in a tensor info */
    public int id() {
        return id;
    }

    /** @return elements per block (1 for plain types, 32 for Q4_0..Q8_0, 256 for K-quants) */
    public int blockSize() {
        return blockSize;
    }

    /** @return bytes per block */
    public int typeSize() {
        return typeSize;
    }

    /** @return true if {@link GgmlDequant} can convert this type to float32 */
    public boolean isDequantizable() {
        return dequantizable;
    }

    /**
     * Looks a type up by id.
     *
     * @param id the id from a tensor info, read as an unsigned 32-bit value
     * @return the type, or null if ggml defines no such type (or this reader does not know it)
     */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** @return the names of the types {@link GgmlDequant} supports, for messages */
    public static String dequantizableNames() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : values()) {
            if (t.dequantizable) {
                sb.append(sb.length() == 0 ? "" : ", ").append(t.name());
            }
        }
        return sb.toString();
    }
}
