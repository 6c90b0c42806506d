package dev.emend.world;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a Hugging Face WordLevel {@code tokenizer.json} from a corpus: HF's {@code Whitespace} pre-tokenizer
 * (words {@code \w+} and punctuation runs {@code [^\w\s]+}), a {@code <|endoftext|>} token that the post-processor
 * puts before every text (the model was trained with it as a separator), {@code [UNK]}, and a WordPiece decoder with
 * clean-up so that decoded text reads naturally ("Paris." rather than "Paris ."). Loadable by DJL and by HF
 * {@code PreTrainedTokenizerFast}.
 */
public final class WordLevelTokenizerWriter {
    /** The separator, BOS and EOS token. */
    public static final String EOT = "<|endoftext|>";
    /** The unknown-word token. */
    public static final String UNK = "[UNK]";
    private static final Pattern WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

    private WordLevelTokenizerWriter() {}

    /**
     * Splits text as HF's Whitespace pre-tokenizer does.
     *
     * @param text any text
     * @return the pieces
     */
    public static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORDS.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /**
     * The vocabulary: EOT (0), UNK (1), then every piece of the texts and extra words, most frequent first (ties in
     * alphabetical order).
     *
     * @param texts the corpus
     * @param extraWords words to include even if absent (e.g. names reserved for insertion edits)
     * @return the pieces in id order
     */
    public static List<String> vocabulary(List<String> texts, List<String> extraWords) {
        Map<String, Integer> counts = new HashMap<>();
        for (String t : texts) {
            for (String p : pieces(t)) {
                counts.merge(p, 1, Integer::sum);
            }
        }
        for (String w : extraWords) {
            for (String p : pieces(w)) {
                counts.merge(p, 0, Integer::sum);
            }
        }
        List<String> words = new ArrayList<>(counts.keySet());
        words.sort((a, b) -> counts.get(b).equals(counts.get(a)) ? a.compareTo(b) : counts.get(b) - counts.get(a));
        List<String> vocab = new ArrayList<>();
        vocab.add(EOT);
        vocab.add(UNK);
        vocab.addAll(words);
        return vocab;
    }

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json}.
     *
     * @param dir the model folder
     * @param vocab pieces in id order, EOT first and UNK second
     * @param maxLength the model's context length (tokenizer_config's model_max_length)
     */
    public static void write(Path dir, List<String> vocab, int maxLength) {
        if (!vocab.get(0).equals(EOT) || !vocab.get(1).equals(UNK)) {
            throw new IllegalArgumentException("vocabulary must start with " + EOT + " and " + UNK);
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 2; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", vocab.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "Whitespace");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", EOT).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", EOT).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode special = post.putObject("special_tokens").putObject(EOT);
        special.put("id", EOT);
        special.putArray("ids").add(0);
        special.putArray("tokens").add(EOT);
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "WordPiece");
        decoder.put("prefix", "##");
        decoder.put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            v.put(vocab.get(i), i);
        }
        model.put("unk_token", UNK);

        ObjectNode cfg = json.createObjectNode();
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        cfg.put("bos_token", EOT);
        cfg.put("eos_token", EOT);
        cfg.put("pad_token", EOT);
        cfg.put("unk_token", UNK);
        cfg.put("model_max_length", maxLength);
        cfg.put("clean_up_tokenization_spaces", false);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(root));
            Files.writeString(dir.resolve("tokenizer_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
        } catch (IOException e) {
            throw new EmendException("cannot write the tokenizer to " + dir + ": " + e.getMessage(), e);
        }
    }
}
