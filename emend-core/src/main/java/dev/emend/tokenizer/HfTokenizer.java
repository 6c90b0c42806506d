package dev.emend.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.ModelLoadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's Rust tokenizers, with truncation and padding off (DJL's
 * defaults silently truncate to 512 tokens and pad with id 0; djl-notes §7). Special tokens come from
 * {@code tokenizer_config.json} and {@code generation_config.json}; the chat template from
 * {@code tokenizer_config.json} or {@code chat_template.jinja}.
 */
public final class HfTokenizer implements Tokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> OPTIONS =
            Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false");

    private final HuggingFaceTokenizer tokenizer;
    private final Map<Integer, String> tokens; // by id; a map, so that one absurd id cannot size an array
    private final int vocabSize;
    private final Map<String, Integer> ids;
    private final SpecialTokens specials;
    private final ChatTemplate chatTemplate;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<Integer, String> tokens, int vocabSize,
            Map<String, Integer> ids, SpecialTokens specials, ChatTemplate chatTemplate) {
        this.tokenizer = tokenizer;
        this.tokens = tokens;
        this.vocabSize = vocabSize;
        this.ids = ids;
        this.specials = specials;
        this.chatTemplate = chatTemplate;
    }

    /**
     * Loads the tokenizer of a model folder.
     *
     * @param dir a folder with {@code tokenizer.json} (and optionally {@code tokenizer_config.json},
     *     {@code generation_config.json}, {@code chat_template.jinja})
     * @return the tokenizer
     * @throws ModelLoadException if tokenizer.json is missing or unreadable
     */
    public static HfTokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(("%s has no tokenizer.json. Copy it from the original model, or build one from "
                    + "vocab.json + merges.txt with transformers (AutoTokenizer.from_pretrained(dir).save_pretrained(dir)).")
                    .formatted(dir));
        }
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelLoadException("%s is not readable (%s); restore it from the original model"
                    .formatted(file, e.getMessage()), e);
        }
        Map<String, Integer> ids = vocab(json, file); // tokenizer.json's own defects are reported first
        JsonNode cfg = readOptional(dir.resolve("tokenizer_config.json"));
        JsonNode gen = readOptional(dir.resolve("generation_config.json"));
        return build(json, ids, cfg, gen, chatTemplateSource(dir, cfg), file);
    }

    /**
     * Builds a tokenizer from the contents of an HF tokenizer's files (e.g. converted from a GGUF file's metadata).
     *
     * @param tokenizerJson the bytes of a {@code tokenizer.json}
     * @param config the parsed {@code tokenizer_config.json}, or null
     * @param generationConfig the parsed {@code generation_config.json}, or null
     * @param chatTemplate the chat template's Jinja source, or null
     * @param source the file or folder the contents come from, for messages
     * @return the tokenizer
     * @throws ModelLoadException if the JSON is malformed or the tokenizers library rejects it
     */
    public static HfTokenizer of(byte[] tokenizerJson, JsonNode config, JsonNode generationConfig, String chatTemplate,
            Path source) {
        return build(tokenizerJson, vocab(tokenizerJson, source), config, generationConfig, chatTemplate, source);
    }

    private static Map<String, Integer> vocab(byte[] tokenizerJson, Path source) {
        Map<String, Integer> ids = new HashMap<>();
        try {
            readVocab(tokenizerJson, ids, source);
        } catch (IOException e) {
            throw new ModelLoadException("%s is not readable JSON (%s); restore it from the original model"
                    .formatted(source, e.getMessage().lines().findFirst().orElse("")), e);
        }
        return ids;
    }

    private static HfTokenizer build(byte[] tokenizerJson, Map<String, Integer> ids, JsonNode config,
            JsonNode generationConfig, String chatTemplate, Path source) {
        int size = 0;
        for (int id : ids.values()) {
            size = Math.max(size, id + 1);
        }
        Map<Integer, String> tokens = new HashMap<>();
        ids.forEach((t, i) -> tokens.put(i, t));
        JsonNode cfg = config;
        JsonNode gen = generationConfig;
        String bosToken = tokenText(cfg, "bos_token");
        String eosToken = tokenText(cfg, "eos_token");
        int bos = idOf(ids, bosToken, gen, "bos_token_id");
        int pad = idOf(ids, tokenText(cfg, "pad_token"), gen, "pad_token_id");
        int unk = idOf(ids, tokenText(cfg, "unk_token"), null, null);
        List<Integer> eos = new ArrayList<>();
        JsonNode genEos = gen == null ? null : gen.get("eos_token_id");
        if (genEos != null && genEos.isArray()) {
            genEos.forEach(n -> eos.add(n.asInt()));
        } else if (genEos != null && genEos.isIntegralNumber()) {
            eos.add(genEos.asInt());
        }
        int eosFromCfg = idOf(ids, eosToken, null, null);
        if (eosFromCfg >= 0 && !eos.contains(eosFromCfg)) {
            eos.add(eosFromCfg);
        }
        SpecialTokens specials = new SpecialTokens(bos, eos.stream().mapToInt(Integer::intValue).toArray(), pad, unk,
                bosToken, eosToken);
        ChatTemplate chat = chatTemplate == null ? null : new ChatTemplate(chatTemplate, bosToken, eosToken);
        // Native resource last: nothing after it can throw, so a bad tokenizer_config.json cannot leak it.
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(tokenizerJson), OPTIONS);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("%s could not be loaded by the tokenizers library: %s".formatted(source,
                    e.getMessage()), e);
        }
        return new HfTokenizer(hf, tokens, size, ids, specials, chat);
    }

    /**
     * Reads {@code model.vocab} and {@code added_tokens} with a streaming parser, skipping everything else (the
     * merges of a large BPE vocabulary would otherwise cost tens of MB of transient heap as a tree).
     */
    private static void readVocab(byte[] json, Map<String, Integer> ids, Path file) throws IOException {
        boolean sawVocab = false;
        try (JsonParser p = JSON.getFactory().createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, file, "the top level");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("model") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        JsonToken v = p.nextToken();
                        if (key.equals("vocab")) {
                            sawVocab = true;
                            readModelVocab(p, v, ids, file);
                        } else {
                            p.skipChildren();
                        }
                    }
                } else if (field.equals("added_tokens") && value == JsonToken.START_ARRAY) {
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        JsonNode a = p.readValueAsTree();
                        JsonNode content = a.path("content");
                        if (!content.isTextual()) {
                            throw corrupt(file, "added token %s has no content string".formatted(a));
                        }
                        ids.put(content.asText(), tokenId(a.path("id"), content.asText(), file));
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        if (!sawVocab) {
            throw new ModelLoadException(("%s has no model.vocab; it is not a Hugging Face tokenizer.json. Copy "
                    + "tokenizer.json from the original model.").formatted(file));
        }
    }

    private static void readModelVocab(JsonParser p, JsonToken v, Map<String, Integer> ids, Path file)
            throws IOException {
        Map<String, Integer> vocab = new HashMap<>();
        if (v == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String token = p.currentName();
                p.nextToken();
                vocab.put(token, tokenId(p.readValueAsTree(), token, file));
            }
        } else if (v == JsonToken.START_ARRAY) { // Unigram: [[piece, score], ...]
            int i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                JsonNode entry = p.readValueAsTree();
                if (!entry.path(0).isTextual()) {
                    throw corrupt(file, "model.vocab[%d] is %s, not [piece, score]".formatted(i, entry));
                }
                vocab.put(entry.path(0).asText(), i++);
            }
        } else {
            throw corrupt(file, "model.vocab is %s, not an object or an array".formatted(
                    v == JsonToken.VALUE_NULL ? "null" : v.isNumeric() ? "a number" : v.isBoolean() ? "a boolean"
                            : "a string"));
        }
        // added tokens (parsed wherever they appear in the file) take precedence over the model's vocabulary
        vocab.forEach(ids::putIfAbsent);
    }

    private static void expect(JsonToken actual, JsonToken expected, Path file, String where) {
        if (actual != expected) {
            throw corrupt(file, "%s is %s, not a JSON object".formatted(where, actual));
        }
    }

    private static int tokenId(JsonNode id, String token, Path file) {
        if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() == Integer.MAX_VALUE) {
            throw corrupt(file, id.isMissingNode() ? "token '%s' has no id".formatted(token)
                    : "token '%s' has id %s, not a non-negative integer".formatted(token, id));
        }
        return id.asInt();
    }

    private static ModelLoadException corrupt(Path file, String what) {
        return new ModelLoadException("%s: %s; restore tokenizer.json from the original model".formatted(file, what));
    }

    static JsonNode readOptional(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("%s is not valid JSON: %s; fix or delete it".formatted(file, e.getMessage()), e);
        }
    }

    private static String tokenText(JsonNode cfg, String key) {
        JsonNode n = cfg == null ? null : cfg.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isObject() && n.has("content")) {
            return n.get("content").asText();
        }
        return n.isTextual() ? n.asText() : null;
    }

    private static int idOf(Map<String, Integer> ids, String token, JsonNode gen, String genKey) {
        if (gen != null && genKey != null && gen.has(genKey) && gen.get(genKey).isIntegralNumber()) {
            return gen.get(genKey).asInt();
        }
        return token == null ? -1 : ids.getOrDefault(token, -1);
    }

    static String chatTemplateSource(Path dir, JsonNode cfg) {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return Files.readString(jinja, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ModelLoadException("cannot read " + jinja + ": " + e.getMessage(), e);
            }
        }
        JsonNode t = cfg == null ? null : cfg.get("chat_template");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        if (t.isArray()) { // [{name, template}, ...]: the "default" one
            for (JsonNode e : t) {
                if ("default".equals(e.path("name").asText())) {
                    return e.path("template").asText();
                }
            }
            return t.size() > 0 ? t.get(0).path("template").asText() : null;
        }
        return null;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        long[] l = e.getIds();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = (int) l[i];
        }
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, skipSpecialTokens);
    }

    @Override
    public int[][] spans(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        CharSpan[] cs = e.getCharTokenSpans();
        int[][] out = new int[cs.length][];
        int cps = text.codePointCount(0, text.length());
        for (int i = 0; i < cs.length; i++) {
            if (cs[i] == null) {
                out[i] = new int[] {-1, -1};
            } else {
                // offsets are in Unicode code points (djl-notes §7); convert to UTF-16 indices
                int s = Math.min(cs[i].getStart(), cps);
                int t = Math.min(cs[i].getEnd(), cps);
                out[i] = new int[] {text.offsetByCodePoints(0, s), text.offsetByCodePoints(0, t)};
            }
        }
        return out;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public String token(int id) {
        return tokens.get(id);
    }

    @Override
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    @Override
    public SpecialTokens specials() {
        return specials;
    }

    @Override
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
