package dev.emend.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds GGUF files byte by byte for tests: a valid little-endian layout (the one GGUFWriter produces, without
 * trailing padding after the last tensor), and the position of every field so that a test can damage one.
 */
final class GgufBytes {
    private GgufBytes() {}

    /**
     * A metadata entry.
     *
     * @param key the key
     * @param type its type
     * @param value Long (any integer type; raw bits for UINT64), Float, Double, Boolean, String or {@link Arr}
     */
    record Kv(String key, GgufValueType type, Object value) {
        @Override
        public String toString() {
            return key + ":" + type + "=" + (value instanceof Float f ? Float.floatToRawIntBits(f) + "f" : value);
        }
    }

    /**
     * An array value.
     *
     * @param elementType type of every element
     * @param elements values as in {@link Kv}
     */
    record Arr(GgufValueType elementType, List<Object> elements) {}

    /**
     * A tensor.
     *
     * @param name name
     * @param dims ggml dims, innermost first
     * @param type storage type
     * @param data exactly the tensor's bytes
     */
    record Tensor(String name, long[] dims, GgmlType type, byte[] data) {
        long numel() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        long bytes() {
            return numel() / type.blockSize() * type.typeSize();
        }

        @Override
        public String toString() {
            return name + " " + type + Arrays.toString(dims);
        }
    }

    /** A built file and where its fields are. */
    static final class Layout {
        byte[] bytes;
        final List<Integer> kvAt = new ArrayList<>(); // key length field
        final List<Integer> kvTypeAt = new ArrayList<>();
        final List<Integer> kvValueAt = new ArrayList<>();
        final List<Integer> tensorAt = new ArrayList<>(); // name length field
        final List<Integer> nDimsAt = new ArrayList<>();
        final List<Integer> typeAt = new ArrayList<>();
        final List<Integer> offsetAt = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>(); // relative to the data section
        int headerEnd;
        long dataStart;
        long alignment;

        /** @return the smallest file size that still holds every tensor's data */
        long needed() {
            return bytes.length;
        }
    }

    /** Little-endian output. */
    static final class Out {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        int pos() {
            return out.size();
        }

        Out u8(long v) {
            out.write((int) v);
            return this;
        }

        Out u16(long v) {
            return u8(v).u8(v >>> 8);
        }

        Out u32(long v) {
            return u16(v).u16(v >>> 16);
        }

        Out u64(long v) {
            return u32(v).u32(v >>> 32);
        }

        Out bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        Out str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).bytes(b);
        }

        Out zeros(long n) {
            for (long i = 0; i < n; i++) {
                out.write(0);
            }
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    static void value(Out o, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8, BOOL -> o.u8(type == GgufValueType.BOOL ? ((Boolean) v ? 1 : 0) : (Long) v);
            case UINT16, INT16 -> o.u16((Long) v);
            case UINT32, INT32 -> o.u32((Long) v);
            case UINT64, INT64 -> o.u64((Long) v);
            case FLOAT32 -> o.u32(Float.floatToRawIntBits((Float) v) & 0xFFFF_FFFFL);
            case FLOAT64 -> o.u64(Double.doubleToRawLongBits((Double) v));
            case STRING -> o.str((String) v);
            case ARRAY -> {
                Arr a = (Arr) v;
                o.u32(a.elementType().id()).u64(a.elements().size());
                for (Object e : a.elements()) {
                    value(o, a.elementType(), e);
                }
            }
        }
    }

    /**
     * Builds a file.
     *
     * @param version the version field
     * @param kvs metadata; a UINT32 {@code general.alignment} among them sets the alignment
     * @param tensors tensor infos in this order
     * @param dataOrder the order in which the tensors' bytes are laid out (indices into {@code tensors})
     * @return the file and its layout
     */
    static Layout build(int version, List<Kv> kvs, List<Tensor> tensors, List<Integer> dataOrder) {
        Layout l = new Layout();
        l.alignment = 32;
        for (Kv kv : kvs) {
            if (kv.key().equals(GgufFile.ALIGNMENT_KEY) && kv.type() == GgufValueType.UINT32) {
                l.alignment = Math.max(1, (Long) kv.value()); // a bad value still gets a layout, to be refused
            }
        }
        long[] offsets = new long[tensors.size()];
        long off = 0;
        for (int i : dataOrder) {
            offsets[i] = off;
            off += (tensors.get(i).bytes() + l.alignment - 1) / l.alignment * l.alignment;
        }
        Out o = new Out();
        o.u32(GgufParser.MAGIC).u32(version).u64(tensors.size()).u64(kvs.size());
        for (Kv kv : kvs) {
            l.kvAt.add(o.pos());
            o.str(kv.key());
            l.kvTypeAt.add(o.pos());
            o.u32(kv.type().id());
            l.kvValueAt.add(o.pos());
            value(o, kv.type(), kv.value());
        }
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            l.tensorAt.add(o.pos());
            o.str(t.name());
            l.nDimsAt.add(o.pos());
            o.u32(t.dims().length);
            for (long d : t.dims()) {
                o.u64(d);
            }
            l.typeAt.add(o.pos());
            o.u32(t.type().id());
            l.offsetAt.add(o.pos());
            o.u64(offsets[i]);
            l.offsets.add(offsets[i]);
        }
        l.headerEnd = o.pos();
        l.dataStart = (l.headerEnd + l.alignment - 1) / l.alignment * l.alignment;
        long end = l.headerEnd;
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i).bytes() > 0) {
                end = Math.max(end, l.dataStart + offsets[i] + tensors.get(i).bytes());
            }
        }
        if (end > l.headerEnd) {
            o.zeros(l.dataStart - l.headerEnd);
            long written = 0;
            for (int i : dataOrder) {
                Tensor t = tensors.get(i);
                if (t.bytes() == 0) {
                    continue;
                }
                o.zeros(offsets[i] - written);
                o.bytes(t.data());
                written = offsets[i] + t.bytes();
            }
        }
        l.bytes = o.toByteArray();
        if (l.bytes.length != end) {
            throw new IllegalStateException("built " + l.bytes.length + " bytes, expected " + end);
        }
        return l;
    }
}
