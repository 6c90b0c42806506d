package dev.emend.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.ModelLoadException;
import dev.emend.gguf.GgufMetadata;
import dev.emend.gguf.GgufWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Converts between a GGUF file's tokenizer ({@code tokenizer.ggml.*} and {@code tokenizer.chat_template} metadata,
 * llama.cpp's names) and Hugging Face tokenizer files ({@code tokenizer.json}, {@code tokenizer_config.json},
 * {@code generation_config.json}), in both directions. Supported: byte-level BPE ({@code tokenizer.ggml.model =
 * gpt2}) with the pre-tokenizers of {@link PreTokenizer}.
 *
 * <p>GGUF → HF follows transformers' GGUF loader ({@code integrations/gguf/gguf_tokenizer_mapping.py}): tokens
 * outside the byte alphabet are re-spelled in it, merges {@code "a b"} become pairs, CONTROL tokens (type 3) become
 * special added tokens and USER_DEFINED tokens (type 4) plain added tokens, none normalised. One deliberate
 * difference: the pre-tokenizer follows {@code tokenizer.ggml.pre} as llama.cpp defines it, also for
 * {@code smollm}, where transformers 5.24 falls back to plain GPT-2 splitting (see {@link PreTokenizer#DIGITS}).
 */
public final class GgufTokenizers {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** llama.cpp token types ({@code llama_token_type}). */
    static final int NORMAL = 1;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;

    private GgufTokenizers() {}

    /**
     * How text is split before BPE, per llama.cpp's {@code tokenizer.ggml.pre} (llama-vocab.cpp), as a
     * {@code tokenizer.json} pre-tokenizer.
     */
    public enum PreTokenizer {
        /** GPT-2's regex ({@code 's|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}). */
        GPT2(List.of("gpt-2", "phi-2", "roberta-bpe")),
        /**
         * Every digit alone ({@code \p{N}}), then GPT-2's regex: llama.cpp's SMOLLM group, and the
         * {@code Digits(individual_digits) + ByteLevel} pre-tokenizer of SmolLM2's own tokenizer.json. transformers'
         * GGUF loader does not know "smollm" and uses GPT-2's regex alone; the two differ only where a digit follows
         * a non-space character that GPT-2's regex would keep with it (e.g. spaces before a digit, "½ ¼").
         */
        DIGITS(List.of("smollm", "starcoder", "refact", "codeshell")),
        /** Llama 3's regex (digits in runs of at most 3, case-insensitive contractions), isolated, then bytes. */
        LLAMA3(List.of("llama3", "llama-v3", "llama-bpe")),
        /** Qwen2's regex (single digits), isolated, then bytes. */
        QWEN2(List.of("qwen2", "deepseek-r1-qwen"));

        static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

        private final List<String> ggufNames;

        PreTokenizer(List<String> ggufNames) {
            this.ggufNames = ggufNames;
        }

        /** @return the {@code tokenizer.ggml.pre} values meaning this pre-tokenizer; the first is written */
        public List<String> ggufNames() {
            return ggufNames;
        }

        /** @return the tokenizer.json {@code pre_tokenizer} */
        public ObjectNode json() {
            return switch (this) {
                case GPT2 -> byteLevel(true);
                case DIGITS -> sequence(NODES.objectNode().put("type", "Digits").put("individual_digits", true),
                        byteLevel(true));
                case LLAMA3 -> sequence(split(LLAMA3_REGEX), byteLevel(false));
                case QWEN2 -> sequence(split(QWEN2_REGEX), byteLevel(false));
            };
        }

        /**
         * @param name a {@code tokenizer.ggml.pre} value
         * @return the pre-tokenizer, or null if not supported
         */
        public static PreTokenizer forGgufName(String name) {
            for (PreTokenizer p : values()) {
                if (p.ggufNames.contains(name)) {
                    return p;
                }
            }
            return null;
        }

        /**
         * @param preTokenizer a tokenizer.json {@code pre_tokenizer}
         * @return the one it equals (ignoring {@code trim_offsets}, which only affects offsets), or null
         */
        public static PreTokenizer forJson(JsonNode preTokenizer) {
            JsonNode want = withoutTrimOffsets(preTokenizer);
            for (PreTokenizer p : values()) {
                if (withoutTrimOffsets(p.json()).equals(want)) {
                    return p;
                }
            }
            return null;
        }

        static String supported() {
            return Arrays.stream(values()).flatMap(p -> p.ggufNames.stream()).collect(Collectors.joining(", "));
        }

        private static ObjectNode byteLevel(boolean useRegex) {
            return NODES.objectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                    .put("use_regex", useRegex);
        }

        private static ObjectNode split(String regex) {
            ObjectNode n = NODES.objectNode().put("type", "Split");
            n.putObject("pattern").put("Regex", regex);
            return n.put("behavior", "Isolated").put("invert", false);
        }

        private static ObjectNode sequence(ObjectNode... steps) {
            ObjectNode n = NODES.objectNode().put("type", "Sequence");
            ArrayNode a = n.putArray("pretokenizers");
            for (ObjectNode s : steps) {
                a.add(s);
            }
            return n;
        }

        private static JsonNode withoutTrimOffsets(JsonNode n) {
            if (n == null) {
                return NODES.nullNode();
            }
            JsonNode c = n.deepCopy();
            strip(c);
            return c;
        }

        private static void strip(JsonNode n) {
            if (n instanceof ObjectNode o) {
                o.remove("trim_offsets");
                o.forEach(PreTokenizer::strip);
            } else if (n instanceof ArrayNode a) {
                a.forEach(PreTokenizer::strip);
            }
        }
    }

    /**
     * The files of an HF tokenizer, in memory.
     *
     * @param tokenizerJson {@code tokenizer.json}
     * @param tokenizerConfig {@code tokenizer_config.json} (special tokens, {@code add_bos_token}, chat template)
     * @param generationConfig {@code generation_config.json} (bos, eos and pad ids)
     * @param chatTemplate the chat template (also in {@code tokenizerConfig}), or null
     */
    public record HfFiles(byte[] tokenizerJson, ObjectNode tokenizerConfig, ObjectNode generationConfig,
            String chatTemplate) {
        /**
         * Builds the tokenizer.
         *
         * @param source the file the contents came from, for messages
         * @return the tokenizer; close it
         */
        public HfTokenizer load(Path source) {
            return HfTokenizer.of(tokenizerJson, tokenizerConfig, generationConfig, chatTemplate, source);
        }

        /**
         * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code generation_config.json}.
         *
         * @param dir an existing folder
         * @throws IOException if a file cannot be written
         */
        public void writeTo(Path dir) throws IOException {
            java.nio.file.Files.write(dir.resolve("tokenizer.json"), tokenizerJson);
            java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerConfig));
            java.nio.file.Files.writeString(dir.resolve("generation_config.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(generationConfig));
        }
    }

    /**
     * Converts a GGUF file's tokenizer metadata into HF tokenizer files.
     *
     * @param md the metadata
     * @param source the GGUF file, for messages
     * @return the files
     * @throws ModelLoadException if the tokenizer kind or pre-tokenizer is not supported, or the metadata is
     *     inconsistent
     */
    public static HfFiles fromGguf(GgufMetadata md, Path source) {
        String model = md.getString("tokenizer.ggml.model");
        if (!model.equals("gpt2")) {
            throw new ModelLoadException(("%s: tokenizer.ggml.model is \"%s\"; Emend reads only byte-level BPE "
                    + "tokenizers (\"gpt2\") from GGUF so far. Convert the original HF checkpoint folder instead (it has "
                    + "tokenizer.json).").formatted(source, model));
        }
        String preName = md.getString("tokenizer.ggml.pre", "gpt-2");
        PreTokenizer pre = PreTokenizer.forGgufName(preName);
        if (pre == null) {
            throw new ModelLoadException(("%s: tokenizer.ggml.pre is \"%s\", a pre-tokenizer Emend does not know "
                    + "(supported: %s). Load the original HF checkpoint folder instead, or open an issue with the "
                    + "model's name.").formatted(source, preName, PreTokenizer.supported()));
        }
        String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
        int[] types = md.has("tokenizer.ggml.token_type") ? md.getIntArray("tokenizer.ggml.token_type") : null;
        if (types != null && types.length != tokens.length) {
            throw new ModelLoadException(("%s: tokenizer.ggml.token_type has %d entries but tokenizer.ggml.tokens has %d; "
                    + "the file is corrupt. Re-download or re-convert it.").formatted(source, types.length, tokens.length));
        }
        if (!md.has("tokenizer.ggml.merges")) {
            throw new ModelLoadException(("%s has no tokenizer.ggml.merges; a byte-level BPE tokenizer needs them. "
                    + "Re-convert the model with a current llama.cpp (convert_hf_to_gguf.py).").formatted(source));
        }
        String[] merges = md.getStringArray("tokenizer.ggml.merges");

        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        root.putNull("normalizer");
        root.set("pre_tokenizer", pre.json());
        boolean addBos = md.getBool("tokenizer.ggml.add_bos_token", false);
        boolean addEos = md.getBool("tokenizer.ggml.add_eos_token", false);
        int bosId = optId(md, "tokenizer.ggml.bos_token_id", tokens.length, source);
        int eosId = optId(md, "tokenizer.ggml.eos_token_id", tokens.length, source);
        root.set("post_processor", postProcessor(addBos && bosId >= 0 ? tokens[bosId] : null, bosId,
                addEos && eosId >= 0 ? tokens[eosId] : null, eosId));
        root.set("decoder", NODES.objectNode().put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", true).put("use_regex", true));
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE").putNull("dropout");
        bpe.putNull("unk_token");
        bpe.put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false)
                .put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = bpe.putObject("vocab");
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            ids.put(ByteLevel.isSpelled(tokens[i]) ? tokens[i] : ByteLevel.spell(tokens[i]), i); // a later duplicate wins
        }
        ids.forEach(vocab::put);
        ArrayNode pairs = bpe.putArray("merges");
        for (int i = 0; i < merges.length; i++) {
            String[] p = merges[i].split(" ", -1);
            if (p.length != 2 || p[0].isEmpty() || p[1].isEmpty()) {
                throw new ModelLoadException(("%s: tokenizer.ggml.merges[%d] is \"%s\", not two tokens separated by one "
                        + "space; the file is corrupt. Re-download or re-convert it.").formatted(source, i, merges[i]));
            }
            pairs.addArray().add(p[0]).add(p[1]);
        }
        if (types != null) {
            for (int i = 0; i < tokens.length; i++) {
                boolean control = types[i] == CONTROL && ByteLevel.isSpelled(tokens[i]); // as transformers: a CONTROL
                // token outside the byte alphabet is a llama.cpp mislabel
                boolean user = types[i] == USER_DEFINED && ids.containsKey(tokens[i]);
                if (control || user) {
                    added.addObject().put("id", i).put("content", tokens[i]).put("single_word", false)
                            .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", control);
                }
            }
        }

        ObjectNode config = NODES.objectNode();
        config.put("add_bos_token", addBos);
        config.put("add_eos_token", addEos);
        ObjectNode gen = NODES.objectNode();
        String[][] specials = {{"bos_token", "bos_token_id"}, {"eos_token", "eos_token_id"},
            {"unk_token", "unknown_token_id"}, {"pad_token", "padding_token_id"}};
        for (String[] s : specials) {
            int id = optId(md, "tokenizer.ggml." + s[1], tokens.length, source);
            if (id >= 0) {
                config.put(s[0], tokens[id]);
                if (!s[0].equals("unk_token")) {
                    gen.put(s[1].equals("padding_token_id") ? "pad_token_id" : s[1], id);
                }
            } else {
                config.putNull(s[0]);
            }
        }
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("clean_up_tokenization_spaces", false);
        String template = md.getString("tokenizer.chat_template", null);
        if (template != null) {
            config.put("chat_template", template);
        }
        try {
            return new HfFiles(JSON.writeValueAsBytes(root), config, gen, template);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of strings and numbers always serialises
        }
    }

    private static int optId(GgufMetadata md, String key, int vocab, Path source) {
        if (!md.has(key)) {
            return -1;
        }
        long id = md.getLong(key);
        if (id < 0 || id >= vocab) {
            throw new ModelLoadException("%s: %s is %d, outside the vocabulary of %d tokens; the file is corrupt. Re-download or re-convert it."
                    .formatted(source, key, id, vocab));
        }
        return (int) id;
    }

    private static ObjectNode postProcessor(String bos, int bosId, String eos, int eosId) {
        ObjectNode p = NODES.objectNode().put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        ArrayNode pair = p.putArray("pair");
        ObjectNode specials = p.putObject("special_tokens");
        if (bos != null) {
            single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        }
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        if (eos != null) {
            single.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 0);
        }
        if (bos != null) {
            pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        }
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        if (eos != null) {
            pair.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 1);
        }
        for (Object[] s : new Object[][] {{bos, bosId}, {eos, eosId}}) {
            if (s[0] != null && !specials.has((String) s[0])) {
                ObjectNode t = specials.putObject((String) s[0]).put("id", (String) s[0]);
                t.putArray("ids").add((Integer) s[1]);
                t.putArray("tokens").add((String) s[0]);
            }
        }
        return p;
    }

    /**
     * Writes the tokenizer of an HF folder as GGUF metadata, as llama.cpp's {@code convert_hf_to_gguf.py} does for a
     * byte-level BPE vocabulary: {@code tokenizer.ggml.model/pre/tokens/token_type/merges}, the special token ids,
     * {@code add_bos_token}/{@code add_eos_token} and the chat template.
     *
     * @param dir a folder with {@code tokenizer.json} (and optionally {@code tokenizer_config.json},
     *     {@code generation_config.json}, {@code chat_template.jinja})
     * @param vocabSize the model's vocabulary (embedding rows); ids the tokenizer does not use become
     *     {@code [PAD<id>]} tokens of type UNUSED, as llama.cpp writes them
     * @param out the writer to add the metadata to
     * @throws ModelLoadException if the tokenizer is not byte-level BPE with a supported pre-tokenizer
     */
    public static void toGguf(Path dir, int vocabSize, GgufWriter out) {
        Path file = dir.resolve("tokenizer.json");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("%s is not readable JSON (%s); restore it from the original model"
                    .formatted(file, e.getMessage().lines().findFirst().orElse("")), e);
        }
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText()) || !"ByteLevel".equals(root.path("decoder").path("type").asText())) {
            throw new ModelLoadException(("%s is a %s tokenizer with a %s decoder; Emend writes only byte-level BPE "
                    + "tokenizers to GGUF so far. Use llama.cpp's convert_hf_to_gguf.py for this model.").formatted(file,
                            model.path("type").asText("?"), root.path("decoder").path("type").asText("?")));
        }
        PreTokenizer pre = PreTokenizer.forJson(root.get("pre_tokenizer"));
        if (pre == null) {
            throw new ModelLoadException(("%s: its pre_tokenizer %s is none Emend can name in GGUF (supported: "
                    + "byte-level GPT-2, digits + GPT-2 (SmolLM), Llama 3, Qwen2). Use llama.cpp's convert_hf_to_gguf.py "
                    + "for this model.").formatted(file, root.get("pre_tokenizer")));
        }
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Integer> type = new HashMap<>();
        model.path("vocab").properties().forEach(e -> {
            byId.put(e.getValue().asInt(), e.getKey());
            type.put(e.getValue().asInt(), NORMAL);
        });
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt();
            byId.put(id, a.path("content").asText());
            type.put(id, a.path("special").asBoolean(false) ? CONTROL : USER_DEFINED);
        }
        int n = Math.max(vocabSize, byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1);
        List<String> tokens = new ArrayList<>(n);
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens.add(byId.getOrDefault(i, "[PAD" + i + "]"));
            types[i] = type.getOrDefault(i, UNUSED);
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        out.putString("tokenizer.ggml.model", "gpt2");
        out.putString("tokenizer.ggml.pre", pre.ggufNames().get(0));
        out.putStringArray("tokenizer.ggml.tokens", tokens);
        out.putInt32Array("tokenizer.ggml.token_type", types);
        out.putStringArray("tokenizer.ggml.merges", merges);

        JsonNode cfg = HfTokenizer.readOptional(dir.resolve("tokenizer_config.json"));
        JsonNode gen = HfTokenizer.readOptional(dir.resolve("generation_config.json"));
        Map<String, Integer> ids = new HashMap<>();
        byId.forEach((id, t) -> ids.putIfAbsent(t, id));
        String[][] specials = {{"bos_token", "bos_token_id", "bos_token_id"}, {"eos_token", "eos_token_id", "eos_token_id"},
            {"unk_token", null, "unknown_token_id"}, {"pad_token", "pad_token_id", "padding_token_id"}};
        for (String[] s : specials) {
            int id = -1;
            JsonNode g = s[1] == null || gen == null ? null : gen.get(s[1]);
            if (g != null && g.isIntegralNumber()) {
                id = g.asInt();
            } else if (g != null && g.isArray() && g.size() > 0) {
                id = g.get(0).asInt();
            } else {
                JsonNode t = cfg == null ? null : cfg.get(s[0]);
                String text = t == null ? null : t.isObject() ? t.path("content").asText(null) : t.asText(null);
                id = text == null ? -1 : ids.getOrDefault(text, -1);
            }
            if (id >= 0) {
                out.putUint32("tokenizer.ggml." + s[2], id);
            }
        }
        JsonNode single = root.path("post_processor").path("single");
        boolean bos = single.isArray() && single.size() > 0 && single.get(0).has("SpecialToken");
        boolean eos = single.isArray() && single.size() > 1 && single.get(single.size() - 1).has("SpecialToken");
        out.putBool("tokenizer.ggml.add_bos_token", cfg != null && cfg.has("add_bos_token")
                ? cfg.get("add_bos_token").asBoolean() : bos);
        out.putBool("tokenizer.ggml.add_eos_token", cfg != null && cfg.has("add_eos_token")
                ? cfg.get("add_eos_token").asBoolean() : eos);
        String template = HfTokenizer.chatTemplateSource(dir, cfg);
        if (template != null) {
            out.putString("tokenizer.chat_template", template);
        }
    }

    /** GPT-2's byte-to-character alphabet ({@code bytes_to_unicode}). */
    static final class ByteLevel {
        private static final char[] CHAR = new char[256];
        private static final boolean[] IN_ALPHABET = new boolean[512];

        static {
            int n = 0;
            for (int b = 0; b < 256; b++) {
                boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
                CHAR[b] = printable ? (char) b : (char) (256 + n++);
                IN_ALPHABET[CHAR[b]] = true;
            }
        }

        private ByteLevel() {}

        /** @return true if every character of {@code s} is in the byte alphabet */
        static boolean isSpelled(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c >= IN_ALPHABET.length || !IN_ALPHABET[c]) {
                    return false;
                }
            }
            return true;
        }

        /** @return the UTF-8 bytes of {@code s} spelled in the byte alphabet */
        static String spell(String s) {
            StringBuilder sb = new StringBuilder();
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                sb.append(CHAR[b & 0xFF]);
            }
            return sb.toString();
        }
    }

    /**
     * Convenience: the tokenizer a GGUF file describes.
     *
     * @param md the file's metadata
     * @param source the file
     * @return the tokenizer; close it
     */
    public static HfTokenizer load(GgufMetadata md, Path source) {
        return fromGguf(md, source).load(source);
    }
}
