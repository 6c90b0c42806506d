package dev.emend.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.emend.ModelLoadException;
import dev.emend.gguf.GgufBytes.Arr;
import dev.emend.gguf.GgufBytes.Kv;
import dev.emend.gguf.GgufBytes.Layout;
import dev.emend.gguf.GgufBytes.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One clear error per kind of bad GGUF input: a {@link GgufException} (a {@link ModelLoadException}) whose message
 * names the file, what is wrong, where (byte offset, key or tensor) and what to do. Also: files and tensors over
 * 2 GiB (sparse files), and a file that shrinks after its header was read.
 */
class GgufBadInputTest {
    @TempDir
    Path tmp;

    static final List<String> TOKENS = List.of("<unk>", "a", "b\u00e9");

    static List<Kv> kvs() {
        return new ArrayList<>(List.of(
                new Kv("general.architecture", GgufValueType.STRING, "llama"),
                new Kv("llama.context_length", GgufValueType.UINT32, 128L),
                new Kv("general.flag", GgufValueType.BOOL, true),
                new Kv("tokenizer.ggml.tokens", GgufValueType.ARRAY, new Arr(GgufValueType.STRING,
                        new ArrayList<>(TOKENS)))));
    }

    static Tensor tensor(String name, GgmlType type, long... dims) {
        Tensor shape = new Tensor(name, dims, type, new byte[0]);
        byte[] data = new byte[(int) shape.bytes()];
        new Random(name.hashCode()).nextBytes(data);
        if (type == GgmlType.Q8_0) { // finite f16 scales
            for (int b = 0; b < data.length; b += 34) {
                data[b] = 0x00;
                data[b + 1] = 0x3C; // 1.0
            }
        }
        return new Tensor(name, dims, type, data);
    }

    static List<Tensor> tensors() {
        return new ArrayList<>(List.of(
                tensor("token_embd.weight", GgmlType.Q8_0, 64, 2),
                tensor("output_norm.weight", GgmlType.F32, 64),
                tensor("blk.0.ffn_down.weight", GgmlType.Q4_K, 256, 2)));
    }

    static Layout build(List<Kv> kvs, List<Tensor> tensors) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            order.add(i);
        }
        return GgufBytes.build(3, kvs, tensors, order);
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    /** Writes a damaged copy of the default file and asserts that reading it fails naming the file. */
    AbstractThrowableAssert<?, ? extends Throwable> refused(String name, Consumer<ByteBuffer> damage) throws IOException {
        Layout l = build(kvs(), tensors());
        ByteBuffer b = ByteBuffer.wrap(l.bytes.clone()).order(ByteOrder.LITTLE_ENDIAN);
        damage.accept(b);
        return refused(write(name, b.array()));
    }

    static AbstractThrowableAssert<?, ? extends Throwable> refused(Path f) {
        return assertThatThrownBy(() -> GgufFile.read(f)).isInstanceOf(GgufException.class)
                .isInstanceOf(ModelLoadException.class).hasMessageContaining(f.toString());
    }

    static Layout defaults() {
        return build(kvs(), tensors());
    }

    // ---------------------------------------------------------------- not GGUF at all

    @Test
    void emptyAndShortFiles() throws IOException {
        refused(write("empty.gguf", new byte[0])).hasMessageContaining("0 bytes long").hasMessageContaining("truncated");
        refused(write("two.gguf", new byte[] {'G', 'G'})).hasMessageContaining("2 bytes long");
        refused(write("magic-only.gguf", "GGUF".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("the file ends at byte 4, inside the version field")
                .hasMessageContaining("Re-download");
    }

    @Test
    void wrongMagicSaysWhatTheFileLooksLike() throws IOException {
        refused(write("junk.gguf", "GGMLxxxxxxxxxxxxxxxxxxxxxxxx".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("does not start with the GGUF magic").hasMessageContaining("found 47 47 4d 4c")
                .hasMessageContaining("not a GGUF file");
        refused(write("lfs.gguf", ("version https://git-lfs.github.com/spec/v1\noid sha256:4c4b\nsize 4368439584\n")
                .getBytes(StandardCharsets.US_ASCII))).hasMessageContaining("git lfs pull");
        refused(write("old.bin", new byte[] {0x74, 0x6a, 0x67, 0x67, 3, 0, 0, 0}))
                .hasMessageContaining("legacy GGML/GGJT").hasMessageContaining("convert_llama_ggml_to_gguf.py");
        byte[] st = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put("{\"a\":{}}".getBytes(
                StandardCharsets.US_ASCII)).array();
        refused(write("model.safetensors", st)).hasMessageContaining("safetensors");
    }

    @Test
    void unsupportedVersions() throws IOException {
        refused("v1.gguf", b -> b.putInt(4, 1)).hasMessageContaining("GGUF version 1")
                .hasMessageContaining("only versions 2 and 3").hasMessageContaining("convert_hf_to_gguf.py");
        refused("v4.gguf", b -> b.putInt(4, 4)).hasMessageContaining("GGUF version 4 is not supported");
        refused("v0.gguf", b -> b.putInt(4, 0)).hasMessageContaining("GGUF version 0 is not supported");
        refused("big-endian.gguf", b -> b.putInt(4, Integer.reverseBytes(3))).hasMessageContaining("big-endian")
                .hasMessageContaining("gguf_convert_endian.py");
    }

    // ---------------------------------------------------------------- truncation

    @Test
    void truncatedHeaderNamesTheEntryAndTheByte() throws IOException {
        Layout l = defaults();
        int cut = l.kvValueAt.get(1) + 2; // inside llama.context_length's uint32
        refused(write("cut-header.gguf", Arrays.copyOf(l.bytes, cut)))
                .hasMessageContaining("the file ends at byte " + cut)
                .hasMessageContaining("metadata key 'llama.context_length' (byte " + l.kvAt.get(1) + ")")
                .hasMessageContaining("truncated");
        int inTensorInfo = l.offsetAt.get(2) + 3;
        refused(write("cut-infos.gguf", Arrays.copyOf(l.bytes, inTensorInfo)))
                .hasMessageContaining("tensor 'blk.0.ffn_down.weight'").hasMessageContaining("truncated");
    }

    @Test
    void truncatedDataNamesTheTensor() throws IOException {
        Layout l = defaults();
        refused(write("cut-data.gguf", Arrays.copyOf(l.bytes, l.bytes.length - 1)))
                .hasMessageContaining("tensor 'blk.0.ffn_down.weight' (Q4_K, 288 bytes)")
                .hasMessageContaining("the file ends at byte " + (l.bytes.length - 1))
                .hasMessageContaining("truncated. Re-download it");
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void badMetadataEncodings() throws IOException {
        Layout l = defaults();
        refused("value-type.gguf", b -> b.putInt(l.kvTypeAt.get(1), 13))
                .hasMessageContaining("metadata key 'llama.context_length' (byte " + l.kvAt.get(1) + ")")
                .hasMessageContaining("value type 13, which GGUF does not define");
        refused("bool.gguf", b -> b.put(l.kvValueAt.get(2), (byte) 2))
                .hasMessageContaining("'general.flag'").hasMessageContaining("boolean at byte " + l.kvValueAt.get(2))
                .hasMessageContaining("is 2");
        refused("array-type.gguf", b -> b.putInt(l.kvValueAt.get(3), 77))
                .hasMessageContaining("'tokenizer.ggml.tokens'").hasMessageContaining("element type 77");
        refused("utf8.gguf", b -> b.put(l.kvAt.get(0) + 8, (byte) 0xFF))
                .hasMessageContaining("not valid UTF-8").hasMessageContaining("byte " + l.kvAt.get(0));

        List<Kv> dup = kvs();
        dup.add(new Kv("llama.context_length", GgufValueType.UINT32, 256L));
        refused(write("dup-key.gguf", build(dup, tensors()).bytes)).hasMessageContaining("'llama.context_length'")
                .hasMessageContaining("appears twice");

        Arr deep = new Arr(GgufValueType.STRING, List.of("x"));
        for (int i = 0; i < 20; i++) {
            deep = new Arr(GgufValueType.ARRAY, List.of(deep));
        }
        List<Kv> nested = kvs();
        nested.add(new Kv("deep", GgufValueType.ARRAY, deep));
        refused(write("deep.gguf", build(nested, tensors()).bytes)).hasMessageContaining("'deep'")
                .hasMessageContaining("nests arrays more than 16 deep");
    }

    @Test
    void absurdCountsAndLengthsAreRefusedBeforeAllocating() throws IOException {
        Layout l = defaults();
        refused("kv-count.gguf", b -> b.putLong(16, -1L)).hasMessageContaining("18446744073709551615 metadata entries")
                .hasMessageContaining("only");
        refused("tensor-count.gguf", b -> b.putLong(8, 1L << 40)).hasMessageContaining("1099511627776 tensors");
        refused("key-length.gguf", b -> b.putLong(l.kvAt.get(1), Long.MAX_VALUE))
                .hasMessageContaining("declares 9223372036854775807 bytes");
        refused("array-length.gguf", b -> b.putLong(l.kvValueAt.get(3) + 4, 1L << 31))
                .hasMessageContaining("'tokenizer.ggml.tokens'").hasMessageContaining("2147483648 elements of STRING");
        refused("name-length.gguf", b -> b.putLong(l.tensorAt.get(0), 1L << 33))
                .hasMessageContaining("tensor info 0 of 3").hasMessageContaining("8589934592 bytes");
        refused("dims.gguf", b -> b.putInt(l.nDimsAt.get(0), 5)).hasMessageContaining("'token_embd.weight'")
                .hasMessageContaining("5 dimensions; ggml allows at most 4");
        refused("dim.gguf", b -> b.putLong(l.nDimsAt.get(0) + 12, Long.MIN_VALUE))
                .hasMessageContaining("dimension 1 is 9223372036854775808");
        List<Tensor> ts = tensors();
        ts.add(new Tensor("huge", new long[] {1L << 32, 1L << 32}, GgmlType.F32, new byte[0]));
        List<Integer> order = List.of(0, 1, 2); // "huge" gets no data, and offset 0
        refused(write("numel.gguf", GgufBytes.build(3, kvs(), ts, order).bytes)).hasMessageContaining("'huge'")
                .hasMessageContaining("overflows 64 bits");
    }

    // ---------------------------------------------------------------- alignment

    @Test
    void alignmentMustBeAUint32PowerOfTwo() throws IOException {
        List<Kv> odd = kvs();
        odd.add(new Kv(GgufFile.ALIGNMENT_KEY, GgufValueType.UINT32, 48L));
        refused(write("align48.gguf", build(odd, tensors()).bytes)).hasMessageContaining("'general.alignment' is 48")
                .hasMessageContaining("power of two");
        List<Kv> zero = kvs();
        zero.add(new Kv(GgufFile.ALIGNMENT_KEY, GgufValueType.UINT32, 0L));
        refused(write("align0.gguf", GgufBytes.build(3, zero, List.of(), List.of()).bytes))
                .hasMessageContaining("power of two");
        List<Kv> typed = kvs();
        typed.add(new Kv(GgufFile.ALIGNMENT_KEY, GgufValueType.STRING, "32"));
        refused(write("align-string.gguf", build(typed, tensors()).bytes))
                .hasMessageContaining("'general.alignment' is STRING").hasMessageContaining("requires a UINT32");

        List<Kv> fine = kvs();
        fine.add(new Kv(GgufFile.ALIGNMENT_KEY, GgufValueType.UINT32, 128L));
        Layout l = build(fine, tensors());
        GgufFile f = GgufFile.read(write("align128.gguf", l.bytes));
        assertThat(f.alignment()).isEqualTo(128);
        assertThat(f.dataStart() % 128).isZero();
        assertThat(f.tensor("blk.0.ffn_down.weight").offset()).isEqualTo(512); // 136 B -> 256, 256 B -> 256
    }

    // ---------------------------------------------------------------- tensor infos

    @Test
    void badTensorInfos() throws IOException {
        Layout l = defaults();
        refused("type.gguf", b -> b.putInt(l.typeAt.get(1), 99)).hasMessageContaining("'output_norm.weight'")
                .hasMessageContaining("tensor type id 99 (byte " + l.typeAt.get(1) + ")")
                .hasMessageContaining("llama-quantize");
        refused("removed-type.gguf", b -> b.putInt(l.typeAt.get(1), 4)).hasMessageContaining("tensor type id 4");
        refused("misaligned.gguf", b -> b.putLong(l.offsetAt.get(1), l.offsets.get(1) + 16))
                .hasMessageContaining("'output_norm.weight'")
                .hasMessageContaining("offset " + (l.offsets.get(1) + 16) + " (byte " + l.offsetAt.get(1) + ")")
                .hasMessageContaining("not a multiple of the alignment 32");
        refused("past-end.gguf", b -> b.putLong(l.offsetAt.get(2), 1L << 20))
                .hasMessageContaining("tensor 'blk.0.ffn_down.weight'").hasMessageContaining("occupies bytes [")
                .hasMessageContaining("the file ends at byte " + l.bytes.length);
        refused("overlap.gguf", b -> b.putLong(l.offsetAt.get(1), 0)).hasMessageContaining("overlap")
                .hasMessageContaining("'token_embd.weight'").hasMessageContaining("'output_norm.weight'");
        refused("huge-offset.gguf", b -> b.putLong(l.offsetAt.get(0), -32L)).hasMessageContaining("18446744073709551584");

        List<Tensor> rows = tensors();
        rows.add(tensor("odd.weight", GgmlType.Q8_0, 48, 2));
        refused(write("rows.gguf", build(kvs(), rows).bytes)).hasMessageContaining("'odd.weight'")
                .hasMessageContaining("rows of 48 elements (ne[0]), not a multiple of the 32-element block");

        List<Tensor> dup = tensors();
        dup.add(tensor("output_norm.weight", GgmlType.F16, 32));
        refused(write("dup-tensor.gguf", build(kvs(), dup).bytes)).hasMessageContaining("'output_norm.weight'")
                .hasMessageContaining("appears twice");
    }

    @Test
    void typesWithoutADequantiserParseButSayHowToConvert() throws IOException {
        List<Tensor> ts = tensors();
        ts.add(tensor("blk.0.attn_q.weight", GgmlType.IQ2_XS, 256, 2));
        ts.add(tensor("pos", GgmlType.I32, 4));
        GgufFile f = GgufFile.read(write("iq.gguf", build(kvs(), ts).bytes));
        GgufTensorInfo t = f.tensor("blk.0.attn_q.weight");
        assertThat(t.byteSize()).isEqualTo(2 * 74);
        assertThat(f.map(t).remaining()).isEqualTo(148);
        for (GgufTensorInfo bad : List.of(t, f.tensor("pos"))) {
            assertThatThrownBy(() -> f.dequantize(bad)).isInstanceOf(GgufException.class)
                    .hasMessageContaining(f.file().toString()).hasMessageContaining("'" + bad.name() + "'")
                    .hasMessageContaining("is stored as " + bad.type()).hasMessageContaining("Q4_K")
                    .hasMessageContaining("llama-quantize");
            try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                assertThatThrownBy(() -> f.load(m, bad)).isInstanceOf(GgufException.class);
                assertThat(m.getManagedArrays()).isEmpty();
            }
        }
    }

    // ---------------------------------------------------------------- files

    @Test
    void missingFileFolderAndAFileThatShrinks() throws IOException {
        Path missing = tmp.resolve("absent.gguf");
        refused(missing).hasMessageContaining("cannot read").hasMessageContaining("NoSuchFileException");
        Path folder = Files.createDirectories(tmp.resolve("folder.gguf"));
        refused(folder).hasMessageContaining("cannot read");

        Layout l = defaults();
        Path f = write("shrinks.gguf", l.bytes);
        GgufFile g = GgufFile.read(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(l.bytes.length - 100);
        }
        assertThatThrownBy(() -> g.dequantize(g.tensor("blk.0.ffn_down.weight"))).isInstanceOf(GgufException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("'blk.0.ffn_down.weight'")
                .hasMessageContaining("the file changed or was truncated");
        Files.delete(f);
        assertThatThrownBy(() -> g.map(g.tensor("output_norm.weight"))).isInstanceOf(GgufException.class)
                .hasMessageContaining("cannot map tensor 'output_norm.weight'");
    }

    /**
     * A sparse 2.5 GiB file: one F32 tensor of 2.5 GiB (671 M elements) and a small Q8_0 tensor behind it. The small
     * one and ranges of the big one around its 2 GiB mark read correctly; mapping the big one whole is refused.
     */
    @Test
    void filesAndTensorsLargerThan2GiB() throws IOException {
        long rows = 640;
        long row = 1L << 20;
        long bigBytes = rows * row * 4; // 2.5 GiB
        GgufBytes.Out o = new GgufBytes.Out();
        o.u32(GgufParser.MAGIC).u32(3).u64(2).u64(1).str("general.architecture").u32(GgufValueType.STRING.id())
                .str("llama");
        o.str("big").u32(2).u64(row).u64(rows).u32(GgmlType.F32.id()).u64(0);
        o.str("small").u32(1).u64(64).u32(GgmlType.Q8_0.id()).u64(bigBytes);
        byte[] header = o.toByteArray();
        long dataStart = (header.length + 31) / 32 * 32;
        byte[] small = tensor("small", GgmlType.Q8_0, 64).data();
        long mark = 1L << 29; // element at byte 2 GiB of the data section
        ByteBuffer around = ByteBuffer.allocate(128 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 128; i++) {
            around.putFloat(i - 64 + 0.5f);
        }
        Path f = tmp.resolve("big.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(dataStart + bigBytes + small.length); // sparse: takes no disk space
            raf.seek(dataStart + (mark - 64) * 4);
            raf.write(around.array());
            raf.seek(dataStart + bigBytes);
            raf.write(small);
        }
        GgufFile g = GgufFile.read(f);
        GgufTensorInfo big = g.tensor("big");
        assertThat(big.shape()).containsExactly(rows, row);
        assertThat(big.byteSize()).isEqualTo(bigBytes);

        float[] want = new float[64];
        GgmlDequant.dequantize(GgmlType.Q8_0, ByteBuffer.wrap(small), 0, want, 0, 2);
        assertThat(g.dequantize(g.tensor("small"))).containsExactly(want);

        float[] got = new float[128];
        g.dequantize(big, mark - 64, got, 0, 128);
        float[] viaSmallMaps = new float[128];
        g.dequantize(big, mark - 64, viaSmallMaps, 0, 128, 100);
        for (int i = 0; i < 128; i++) {
            assertThat(got[i]).isEqualTo(i - 64 + 0.5f);
            assertThat(viaSmallMaps[i]).isEqualTo(i - 64 + 0.5f);
        }
        float[] tail = new float[4];
        g.dequantize(big, big.numel() - 4, tail, 0, 4);
        assertThat(tail).containsOnly(0f);

        assertThatThrownBy(() -> g.map(big)).isInstanceOf(GgufException.class).hasMessageContaining("'big'")
                .hasMessageContaining("2 GiB").hasMessageContaining("ranges");
    }
}
