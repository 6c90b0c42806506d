package dev.emend.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.ConfigException;
import dev.emend.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Typed access to an HF {@code config.json}. Every getter names the key and the file in its error, so a bad value
 * reads as "config.json: n_head must be an integer, got "twelve"".
 */
public final class HfConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode root;
    private final String source;

    /**
     * Wraps a parsed config.
     *
     * @param root the JSON object
     * @param source a name for messages, e.g. the file path
     */
    public HfConfig(ObjectNode root, String source) {
        this.root = root;
        this.source = source;
    }

    /**
     * Reads and parses a config file.
     *
     * @param file the config.json
     * @return the config
     * @throws ModelLoadException if missing or not a JSON object
     */
    public static HfConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("%s does not exist; an HF model folder needs config.json, model.safetensors and tokenizer.json"
                    .formatted(file));
        }
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("%s is not valid JSON (%s); restore it from the original checkpoint"
                    .formatted(file, e.getMessage().lines().findFirst().orElse("")), e);
        }
        if (node == null || !node.isObject()) {
            throw new ModelLoadException("%s must hold a JSON object; restore it from the original checkpoint"
                    .formatted(file));
        }
        return new HfConfig((ObjectNode) node, file.toString());
    }

    /** @return the raw JSON (a defensive copy) */
    public ObjectNode json() {
        return root.deepCopy();
    }

    /** @param key a key @return true if present and not null */
    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    /** @param key a key @return the node or null */
    public JsonNode node(String key) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? null : n;
    }

    /**
     * @param key a key
     * @return the integer value
     * @throws ConfigException if missing or not an integer
     */
    public int requireInt(String key) {
        JsonNode n = node(key);
        if (n == null) {
            throw new ConfigException("%s: required key '%s' is missing".formatted(source, key));
        }
        return asInt(key, n);
    }

    /** @param key a key @param fallback value if absent @return the integer value */
    public int optInt(String key, int fallback) {
        JsonNode n = node(key);
        return n == null ? fallback : asInt(key, n);
    }

    private int asInt(String key, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new ConfigException("%s: '%s' must be an integer, got %s".formatted(source, key, n));
        }
        return n.asInt();
    }

    /** @param key a key @param fallback value if absent @return the number */
    public double optDouble(String key, double fallback) {
        JsonNode n = node(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new ConfigException("%s: '%s' must be a number, got %s".formatted(source, key, n));
        }
        return n.asDouble();
    }

    /** @param key a key @param fallback value if absent @return the boolean */
    public boolean optBool(String key, boolean fallback) {
        JsonNode n = node(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new ConfigException("%s: '%s' must be true or false, got %s".formatted(source, key, n));
        }
        return n.asBoolean();
    }

    /** @param key a key @param fallback value if absent @return the string */
    public String optString(String key, String fallback) {
        JsonNode n = node(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new ConfigException("%s: '%s' must be a string, got %s".formatted(source, key, n));
        }
        return n.asText();
    }

    /** @return the file name used in messages */
    public String source() {
        return source;
    }

    /**
     * Reads rotary parameters in both config styles: legacy top-level {@code rope_theta}/{@code rope_scaling}
     * (and GPT-NeoX {@code rotary_emb_base}/{@code rotary_pct}), and transformers 5 {@code rope_parameters}.
     *
     * @param headDim per-head width
     * @param defaultTheta base when none is configured
     * @param defaultPartial rotated fraction of the head when none is configured
     * @param interleaved GPT-J style pairs
     * @return the rotary spec
     */
    public Rotary rotary(int headDim, double defaultTheta, double defaultPartial, boolean interleaved) {
        JsonNode params = node("rope_parameters");
        JsonNode scaling = node("rope_scaling");
        double theta = optDouble("rope_theta", optDouble("rotary_emb_base", defaultTheta));
        double partial = optDouble("partial_rotary_factor", optDouble("rotary_pct", defaultPartial));
        JsonNode spec = params != null ? params : scaling;
        Rotary.Scaling sc = Rotary.Scaling.none();
        if (spec != null) {
            if (!spec.isObject()) {
                throw new ConfigException("%s: rope parameters must be an object, got %s".formatted(source, spec));
            }
            HfConfig s = new HfConfig((ObjectNode) spec, source + " rope parameters");
            theta = s.optDouble("rope_theta", theta);
            partial = s.optDouble("partial_rotary_factor", partial);
            String type = s.optString("rope_type", s.optString("type", "default"));
            if (!type.equals("default")) {
                sc = new Rotary.Scaling(type, s.optDouble("factor", 1.0), s.optDouble("low_freq_factor", 1.0),
                        s.optDouble("high_freq_factor", 4.0), s.optInt("original_max_position_embeddings", 0),
                        s.optDouble("attention_factor", Double.NaN), s.optDouble("beta_fast", 32),
                        s.optDouble("beta_slow", 1), s.optDouble("mscale", Double.NaN),
                        s.optDouble("mscale_all_dim", Double.NaN), s.optBool("truncate", true));
            }
        }
        int dim = (int) (headDim * partial);
        return new Rotary(dim, theta, interleaved, sc);
    }
}
