package dev.emend.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The strict YAML and JSON readers every config goes through: unknown keys fail, nulls never become primitive
 * zeros, floats never silently become ints. Textual numbers ({@code 5e-1}, which YAML 1.1 reads as a string) are
 * accepted for numeric fields only, replacing EasyEdit's {@code construct_float_from_scientific_notation}.
 */
public final class Yaml {
    private static final ObjectMapper YAML = configure(YAMLMapper.builder(new YAMLFactory())
            .enable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build());
    private static final ObjectMapper JSON = configure(JsonMapper.builder()
            .enable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build());

    private Yaml() {}

    private static ObjectMapper configure(ObjectMapper m) {
        return m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    }

    /** @return the shared strict YAML mapper (thread-safe, never reconfigure it) */
    public static ObjectMapper yaml() {
        return YAML;
    }

    /** @return the shared strict JSON mapper (thread-safe, never reconfigure it) */
    public static ObjectMapper json() {
        return JSON;
    }
}
