package dev.emend.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Token ids identical to HF's fast tokenizer on hundreds of varied strings (unicode, emoji, whitespace runs,
 * newlines), and decode round trips (tools/reference/make_tokenizers.py wrote the expectations).
 */
class TokenizerParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "tiny-bpe"})
    void idsAndDecodingMatchTransformers(String name) throws IOException {
        Path dir = Fixtures.root().resolve("tokenizers").resolve(name);
        JsonNode cases = new ObjectMapper().readTree(dir.resolve("parity.json").toFile()).get("cases");
        assertThat(cases.size()).isGreaterThanOrEqualTo(name.equals("gpt2") ? 200 : 50);
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            int checked = 0;
            for (JsonNode c : cases) {
                String text = c.get("text").asText();
                int[] expected = new int[c.get("ids").size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = c.get("ids").get(i).asInt();
                }
                assertThat(tok.encode(text, false)).as("ids of %s", text).isEqualTo(expected);
                assertThat(tok.decode(expected, false)).as("decode of %s", text).isEqualTo(c.get("decoded").asText());
                checked++;
            }
            assertThat(checked).isEqualTo(cases.size());
        }
    }
}
