package dev.emend.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.ConfigException;
import dev.emend.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chat templates render exactly as transformers' apply_chat_template (tools/reference/make_chat_templates.py). */
class ChatTemplateTest {
    static JsonNode fixture() throws IOException {
        return new ObjectMapper().readTree(Fixtures.root().resolve("chat/templates.json").toFile());
    }

    static List<ChatTemplate.Message> messages(JsonNode conv) {
        List<ChatTemplate.Message> out = new ArrayList<>();
        conv.forEach(m -> out.add(new ChatTemplate.Message(m.get("role").asText(), m.get("content").asText())));
        return out;
    }

    @Test
    void rendersLikeTransformers() throws IOException {
        JsonNode f = fixture();
        int n = 0;
        for (JsonNode c : f.get("cases")) {
            String tpl = f.get("templates").get(c.get("template").asText()).asText();
            ChatTemplate t = new ChatTemplate(tpl, f.get("bos_token").asText(), f.get("eos_token").asText());
            String got = t.render(messages(f.get("conversations").get(c.get("conversation").asText())),
                    c.get("add_generation_prompt").asBoolean());
            assertThat(got).as("%s / %s / gen=%s", c.get("template"), c.get("conversation"), c.get("add_generation_prompt"))
                    .isEqualTo(c.get("text").asText());
            n++;
        }
        assertThat(n).isEqualTo(24);
    }

    @Test
    void raiseExceptionBecomesAConfigException() throws IOException {
        JsonNode f = fixture();
        ChatTemplate t = new ChatTemplate(f.get("templates").get("llama2").asText(), "<s>", "</s>");
        List<ChatTemplate.Message> wrongOrder = List.of(new ChatTemplate.Message("assistant", "hi"));
        assertThatThrownBy(() -> t.render(wrongOrder, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Conversation roles must alternate");
    }
}
