package dev.emend.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden parity with gguf-py 0.19 ({@code tools/reference/make_gguf_fixtures.py}): the header, every metadata value
 * and every tensor info of {@code fixtures/gguf/*.gguf} match what GGUFReader reports, and every tensor dequantises to
 * exactly the float32 values {@code gguf.quants.dequantize} gives (bit for bit; NaN matches any NaN), through
 * {@code float[]}, through a DJL array and through many small mappings.
 */
class GgufParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path fixture(String name) {
        return Fixtures.root().resolve("gguf").resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"types", "v2"})
    void headerMetadataAndTensorInfosMatchGgufPy(String name) throws IOException {
        JsonNode desc = JSON.readTree(fixture(name + ".json").toFile());
        GgufFile f = GgufFile.read(fixture(name + ".gguf"));
        assertThat(f.version()).isEqualTo(desc.get("version").asInt());
        assertThat(f.alignment()).isEqualTo(desc.get("alignment").asLong());
        assertThat(f.dataStart()).isEqualTo(desc.get("data_offset").asLong());

        JsonNode md = desc.get("metadata");
        List<String> keys = new ArrayList<>();
        md.fieldNames().forEachRemaining(keys::add);
        assertThat(f.metadata().keys()).containsExactlyElementsOf(keys);
        for (Map.Entry<String, JsonNode> e : md.properties()) {
            GgufValueType type = GgufValueType.valueOf(e.getValue().get("type").asText());
            assertThat(f.metadata().type(e.getKey())).as(e.getKey()).isEqualTo(type);
            assertValue(e.getKey(), type, f.metadata().get(e.getKey()), e.getValue());
        }

        JsonNode infos = desc.get("tensors");
        assertThat(f.tensors()).hasSize(infos.size());
        for (int i = 0; i < infos.size(); i++) {
            JsonNode j = infos.get(i);
            GgufTensorInfo t = f.tensors().get(i);
            assertThat(t.name()).isEqualTo(j.get("name").asText());
            assertThat(t.type().name()).isEqualTo(j.get("type").asText());
            assertThat(t.type().id()).isEqualTo(j.get("type_id").asInt());
            long[] ne = new long[j.get("ne").size()];
            for (int d = 0; d < ne.length; d++) {
                ne[d] = j.get("ne").get(d).asLong();
            }
            assertThat(t.dims()).as(t.name()).containsExactly(ne);
            assertThat(t.offset()).as(t.name()).isEqualTo(j.get("offset").asLong());
            assertThat(t.byteSize()).as(t.name()).isEqualTo(j.get("bytes").asLong());
            assertThat(f.find(t.name())).isSameAs(t);
        }
    }

    /** Compares a parsed value with its JSON description ({@code value}, or {@code element_type} + {@code value}). */
    static void assertValue(String where, GgufValueType type, Object actual, JsonNode expected) {
        if (type == GgufValueType.ARRAY) {
            GgufArray a = (GgufArray) actual;
            GgufValueType et = GgufValueType.valueOf(expected.get("element_type").asText());
            assertThat(a.elementType()).as(where).isEqualTo(et);
            JsonNode values = expected.get("value");
            assertThat(a.size()).as(where).isEqualTo(values.size());
            for (int i = 0; i < a.size(); i++) {
                assertValue(where + "[" + i + "]", et, a.get(i), values.get(i));
            }
            return;
        }
        JsonNode v = expected.isObject() ? expected.get("value") : expected;
        switch (type) {
            case STRING -> assertThat(actual).as(where).isEqualTo(v.asText());
            case BOOL -> assertThat(actual).as(where).isEqualTo(v.asBoolean());
            case FLOAT32 -> assertThat(Float.floatToRawIntBits((Float) actual)).as(where)
                    .isEqualTo(Float.floatToRawIntBits((float) v.asDouble()));
            case FLOAT64 -> assertThat(Double.doubleToRawLongBits((Double) actual)).as(where)
                    .isEqualTo(Double.doubleToRawLongBits(v.asDouble()));
            case UINT64 -> assertThat(new BigInteger(Long.toUnsignedString((Long) actual))).as(where)
                    .isEqualTo(v.bigIntegerValue());
            default -> assertThat((Long) actual).as(where).isEqualTo(v.asLong());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"types", "v2"})
    void everyTensorDequantisesExactlyAsGgufPy(String name) {
        GgufFile f = GgufFile.read(fixture(name + ".gguf"));
        Fixtures.Reference expected = new Fixtures.Reference(fixture(name + ".expected.safetensors"));
        double maxDiff = 0;
        long values = 0;
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (GgufTensorInfo t : f.tensors()) {
                float[] want = expected.floats(t.name());
                assertThat(t.shape()).as(t.name()).isEqualTo(expected.shape(t.name()));

                float[] got = f.dequantize(t);
                assertSameFloats(t, "float[]", want, got);

                float[] small = new float[want.length]; // one mapping per block and per task
                f.dequantize(t, 0, small, 0, small.length, t.type().typeSize());
                assertSameFloats(t, "one block per mapping", want, small);

                NDArray a = f.load(m, t);
                assertThat(a.getShape()).isEqualTo(t.djlShape());
                assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
                assertThat(a.getName()).isEqualTo(t.name());
                assertSameFloats(t, "NDArray", want, a.toFloatArray());
                a.close();

                maxDiff = Math.max(maxDiff, finiteMaxDiff(want, got));
                values += want.length;
            }
        }
        System.out.printf("GGUF %s: %d tensors, %d values, all bit-identical to gguf-py, maxdiff = %e%n", name,
                f.tensors().size(), values, maxDiff);
    }

    static void assertSameFloats(GgufTensorInfo t, String path, float[] want, float[] got) {
        assertThat(got).as("%s via %s", t, path).hasSize(want.length);
        for (int i = 0; i < want.length; i++) {
            boolean same = Float.floatToRawIntBits(want[i]) == Float.floatToRawIntBits(got[i])
                    || (Float.isNaN(want[i]) && Float.isNaN(got[i]));
            if (!same) {
                throw new AssertionError("%s via %s: element %d is %s (0x%08x), gguf-py gives %s (0x%08x)".formatted(t,
                        path, i, got[i], Float.floatToRawIntBits(got[i]), want[i], Float.floatToRawIntBits(want[i])));
            }
        }
    }

    static double finiteMaxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isFinite(a[i])) {
                m = Math.max(m, Math.abs((double) a[i] - b[i]));
            }
        }
        return m;
    }

    @Test
    void halfPrecisionSpecialsKeepTheirBits() {
        GgufFile f = GgufFile.read(fixture("types.gguf"));
        float[] got = f.dequantize(f.tensor("f16.special"));
        // 0, -0, smallest subnormal, largest subnormal, smallest normal, 1, -1, max, -max, inf, -inf
        assertThat(Float.floatToRawIntBits(got[0])).isZero();
        assertThat(Float.floatToRawIntBits(got[1])).isEqualTo(0x80000000);
        assertThat(got[2]).isEqualTo(0x1p-24f);
        assertThat(got[3]).isEqualTo(1023 * 0x1p-24f);
        assertThat(got[4]).isEqualTo(0x1p-14f);
        assertThat(got[5]).isEqualTo(1f);
        assertThat(got[6]).isEqualTo(-1f);
        assertThat(got[7]).isEqualTo(65504f);
        assertThat(got[8]).isEqualTo(-65504f);
        assertThat(got[9]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(got[10]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(got[11])).isEqualTo(0x7FC00000); // quiet NaN, payload kept
        assertThat(Float.floatToRawIntBits(got[13])).isEqualTo(0x7FC02000);
        assertThat(GgmlDequant.halfToFloat((short) 0x3555)).isEqualTo(got[14]);
    }

    @Test
    void typedGettersReadTheFixtureAndNameTheKeyOnMismatch() {
        GgufFile f = GgufFile.read(fixture("types.gguf"));
        GgufMetadata md = f.metadata();
        assertThat(md.getString("general.architecture")).isEqualTo("llama");
        assertThat(md.getInt("llama.context_length")).isEqualTo(128);
        assertThat(md.getInt("test.int8")).isEqualTo(-100);
        assertThat(md.getInt("test.uint16")).isEqualTo(65535);
        assertThat(md.getLong("test.uint32")).isEqualTo(4_000_000_000L);
        assertThat(md.getLong("test.int64")).isEqualTo(Long.MIN_VALUE);
        assertThat(md.getLong("test.uint64_small")).isEqualTo(123456789012L);
        assertThat(md.getFloat("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
        assertThat(md.getDouble("test.float64")).isEqualTo(Math.PI);
        assertThat(md.getFloat("test.float64")).isEqualTo((float) Math.PI);
        assertThat(md.getBool("test.bool_true")).isTrue();
        assertThat(md.getString("test.empty_string")).isEmpty();
        assertThat(md.getStringArray("tokenizer.ggml.tokens")).hasSize(8).contains("\u2581\u00e9t\u00e9", "\uD83D\uDE42");
        assertThat(md.getIntArray("tokenizer.ggml.token_type")).containsExactly(2, 2, 2, 1, 1, 1, 1, 1);
        assertThat(md.getFloatArray("tokenizer.ggml.scores")[7]).isEqualTo(-1f);
        assertThat(md.getLongArray("test.array.int64")).containsExactly(Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(md.getArray("test.array.bool").asBooleans()).containsExactly(true, false, true);
        assertThat(md.getArray("test.array.float64").asDoubles()).containsExactly(1e-300, -2.5, Double.MAX_VALUE);
        GgufArray[] nested = md.getArray("test.array.nested_strings").asArrays();
        assertThat(nested).hasSize(3);
        assertThat(nested[2].asStrings()).containsExactly("d", "e", "f");
        assertThat(md.getArray("test.array.nested_deep").asArrays()[0].asArrays()[0].asStrings())
                .containsExactly("x", "y");
        assertThat(md.getInt("absent.key", 7)).isEqualTo(7);
        assertThat(md.getString("absent.key", "d")).isEqualTo("d");

        String file = fixture("types.gguf").toString();
        assertThatThrownBy(() -> md.getInt("test.string")).isInstanceOf(GgufException.class)
                .hasMessageContaining(file).hasMessageContaining("'test.string'").hasMessageContaining("STRING")
                .hasMessageContaining("an integer").hasMessageContaining("byte ");
        assertThatThrownBy(() -> md.getString("llama.context_length")).isInstanceOf(GgufException.class)
                .hasMessageContaining("'llama.context_length'").hasMessageContaining("UINT32 128")
                .hasMessageContaining("a STRING was expected");
        assertThatThrownBy(() -> md.getFloat("test.int32")).hasMessageContaining("INT32")
                .hasMessageContaining("FLOAT32 or FLOAT64");
        assertThatThrownBy(() -> md.getBool("test.uint8")).hasMessageContaining("a BOOL was expected");
        assertThatThrownBy(() -> md.getArray("test.string")).hasMessageContaining("an ARRAY was expected");
        assertThatThrownBy(() -> md.getInt("test.uint32")).isInstanceOf(GgufException.class)
                .hasMessageContaining("4000000000").hasMessageContaining("does not fit in a 32-bit int");
        assertThatThrownBy(() -> md.getLong("test.uint64")).hasMessageContaining("18446744073709551615");
        assertThatThrownBy(() -> md.getIntArray("tokenizer.ggml.tokens")).isInstanceOf(GgufException.class)
                .hasMessageContaining("'tokenizer.ggml.tokens'").hasMessageContaining("array of STRING")
                .hasMessageContaining("array of integers");
        assertThatThrownBy(() -> md.getIntArray("test.array.uint32")).hasMessageContaining("element 1 is 4294967295");
        assertThatThrownBy(() -> md.getString("llama.vocab_size")).isInstanceOf(GgufException.class)
                .hasMessageContaining("'llama.vocab_size' is missing").hasMessageContaining("llama.context_length");
        assertThatThrownBy(() -> f.tensor("q4_k.raw.9")).isInstanceOf(GgufException.class)
                .hasMessageContaining("no tensor 'q4_k.raw.9'").hasMessageContaining("q4_k.raw.0");
    }

    @Test
    void rangesOfATensorAreItsRows() {
        GgufFile f = GgufFile.read(fixture("types.gguf"));
        GgufTensorInfo t = f.tensor("q6_k.raw.3"); // ne = [256, 16]
        float[] all = f.dequantize(t);
        float[] rows = new float[2 * 256 + 3];
        f.dequantize(t, 5 * 256, rows, 3, 2 * 256);
        for (int i = 0; i < 2 * 256; i++) {
            assertThat(rows[3 + i]).isEqualTo(all[5 * 256 + i]);
        }
        assertThatThrownBy(() -> f.dequantize(t, 100, rows, 0, 256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.dequantize(t, 15 * 256, rows, 0, 512)).isInstanceOf(IllegalArgumentException.class);
    }
}
