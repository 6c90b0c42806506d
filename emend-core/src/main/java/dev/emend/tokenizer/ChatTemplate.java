package dev.emend.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.emend.ConfigException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template (Jinja) rendered with Jinjava, configured like transformers' sandbox: trim_blocks,
 * lstrip_blocks, {@code raise_exception}, and the special-token strings in scope. Python string methods the common
 * templates use ({@code startswith}, {@code endswith}, {@code strip}, {@code lstrip}, {@code rstrip}, {@code upper},
 * {@code lower}) are mapped to their Java counterparts before parsing.
 */
public final class ChatTemplate {
    /**
     * One chat message.
     *
     * @param role "system", "user" or "assistant"
     * @param content the text
     */
    public record Message(String role, String content) {}

    private final String source;
    private final String translated;
    private final Map<String, Object> globals;

    /**
     * Creates a template.
     *
     * @param source the Jinja source from {@code tokenizer_config.json}
     * @param bosToken BOS text in scope as {@code bos_token} (may be null)
     * @param eosToken EOS text in scope as {@code eos_token} (may be null)
     */
    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.translated = pythonMethodsToJava(source);
        this.globals = new HashMap<>();
        globals.put("bos_token", bosToken == null ? "" : bosToken);
        globals.put("eos_token", eosToken == null ? "" : eosToken);
    }

    /** @return the original Jinja source */
    public String source() {
        return source;
    }

    /**
     * Renders a conversation.
     *
     * @param messages the conversation
     * @param addGenerationPrompt append the assistant turn opener
     * @return the prompt text
     * @throws ConfigException if the template fails or calls {@code raise_exception}
     */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUsePyishObjectMapper(true).build())
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
        Map<String, Object> ctx = new HashMap<>(globals);
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("role", m.role());
            mm.put("content", m.content());
            msgs.add(mm);
        }
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(translated, ctx);
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                for (Throwable c = e.getException(); c != null; c = c.getCause()) {
                    if (c instanceof ConfigException raised) {
                        throw raised; // the template's own raise_exception
                    }
                }
                String msg = e.getMessage();
                throw new ConfigException("chat template failed: %s (line %d); check the template in tokenizer_config.json"
                        .formatted(msg, e.getLineno()));
            }
        }
        return result.getOutput();
    }

    /**
     * The template's {@code raise_exception}.
     *
     * @param message the template's message
     * @return never
     */
    public static String raiseException(String message) {
        throw new ConfigException("chat template raised: " + message);
    }

    static String pythonMethodsToJava(String s) {
        return s.replace(".startswith(", ".startsWith(")
                .replace(".endswith(", ".endsWith(")
                .replace(".lstrip()", ".stripLeading()")
                .replace(".rstrip()", ".stripTrailing()")
                .replace(".upper()", ".toUpperCase()")
                .replace(".lower()", ".toLowerCase()");
    }
}
