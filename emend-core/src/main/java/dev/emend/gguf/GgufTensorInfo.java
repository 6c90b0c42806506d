package dev.emend.gguf;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One tensor's entry in a GGUF file.
 *
 * <p>{@code dims} are in ggml order: {@code dims[0]} (ggml's {@code ne[0]}) is the innermost, fastest-varying
 * dimension, the length of one row. A ggml weight of {@code ne = [in, out]} therefore holds {@code out} rows of
 * {@code in} values, which is the row-major (PyTorch / DJL) shape {@code [out, in]}; {@link #shape()} gives that
 * reversed order.
 *
 * @param name tensor name, e.g. {@code blk.0.attn_q.weight}
 * @param dims dimensions in ggml order (innermost first); empty for a scalar
 * @param type storage type
 * @param offset first byte, relative to the start of the data section; a multiple of the file's alignment
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {
    /** Copies {@code dims}, so that the record is immutable. */
    public GgufTensorInfo {
        dims = dims.clone();
    }

    /** @return the number of elements (1 for a scalar) */
    public long numel() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** @return the number of quantisation blocks ({@code numel / blockSize}) */
    public long blocks() {
        return numel() / type.blockSize();
    }

    /** @return the bytes the tensor occupies in the data section */
    public long byteSize() {
        return blocks() * type.typeSize();
    }

    /** @return the length of one row, {@code dims[0]} (1 for a scalar) */
    public long rowLength() {
        return dims.length == 0 ? 1 : dims[0];
    }

    /** @return the dimensions in row-major order (outermost first), as PyTorch, numpy and DJL write them */
    public long[] shape() {
        long[] s = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            s[i] = dims[dims.length - 1 - i];
        }
        return s;
    }

    /** @return {@link #shape()} as a DJL shape */
    public Shape djlShape() {
        return new Shape(shape());
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(dims, t.dims) && type == t.type
                && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + type + " ne=" + Arrays.toString(dims) + " @" + offset;
    }
}
