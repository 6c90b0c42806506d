package dev.emend.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EvalProtocol;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for evaluation results in EasyEdit's vocabulary (easyedit-reference §2.1), so that runs can be diffed against
 * the Python reference. A case:
 * <pre>{"case_id": 0, "requested_rewrite": {prompt, subject, target_new, ground_truth, rephrase_prompt, locality,
 *   portability}, "time": 0.41,
 *  "pre":  {"rewrite_acc": [0.0], "rephrase_acc": [0.0], "portability": {"Subject_Aliasing_acc": [0.0]},
 *           "fluency": {"ngram_entropy": 4.9, "text": "…"}, "generation": {…}},
 *  "post": {"rewrite_acc": [1.0], "rephrase_acc": [1.0], "locality": {"Neighborhood_acc": [1.0, 0.5]},
 *           "portability": {…}, …}}</pre>
 * Lists hold one value per prompt, as EasyEdit's. {@code pre} has no {@code locality} (EasyEdit drops the raw outputs
 * after computing the post accuracies). {@code fluency} and {@code generation} appear only when measured; a failed
 * case has {@code "error"} and no {@code post}. The generation section, which EasyEdit does not have, lists per probe
 * {@code {prompt, answer, reference, exact_match, f1}}. Requests are written in KnowEdit's list form, which
 * {@link EditRequest#fromJson} reads back. {@link #readCase} reads a case record back as far as a {@link Summary} needs
 * it (accuracies, fluency, generation scores; not the token ids).
 */
public final class EvalJson {
    private EvalJson() {}

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** @param report a report @return its JSON */
    public static ObjectNode report(EvalReport report) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("method", report.method());
        o.put("mode", report.mode().name().toLowerCase(java.util.Locale.ROOT));
        o.set("options", options(report.options()));
        o.set("summary", summary(report.summary()));
        ArrayNode cases = o.putArray("cases");
        report.cases().forEach(c -> cases.add(caseResult(c)));
        return o;
    }

    /**
     * @param e evaluation options
     * @return {@code {test_generation, generation_protocol, answer_margin, fluency_max_length, fluency_top_k, seed}}
     */
    public static ObjectNode options(EvalOptions e) {
        ObjectNode opt = MAPPER.createObjectNode();
        opt.put("test_generation", e.fluency());
        opt.put("generation_protocol", e.generation());
        opt.put("answer_margin", e.answerMargin());
        opt.put("fluency_max_length", e.fluencyMaxLength());
        opt.put("fluency_top_k", e.fluencyTopK());
        opt.put("seed", e.seed());
        if (e.klTopK() != EvalOptions.DEFAULT_KL_TOP_K) {
            opt.put("kl_top_k", e.klTopK());                 // absent at the default: hashes of older runs still match
        }
        return opt;
    }

    /** @param c a case @return its EasyEdit-style record */
    public static ObjectNode caseResult(CaseResult c) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("case_id", c.caseId());
        o.set("requested_rewrite", request(c.request()));
        if (!Double.isNaN(c.time())) {
            o.put("time", c.time());
        }
        o.set("pre", phase(c.pre()));
        if (c.post() != null) {
            o.set("post", phase(c.post()));
        }
        if (c.error() != null) {
            o.put("error", c.error());
        }
        return o;
    }

    /** @param s scores of one phase @return {@code {rewrite_acc, rephrase_acc, locality, portability, fluency, generation}} */
    public static ObjectNode phase(PhaseScores s) {
        ObjectNode o = MAPPER.createObjectNode();
        numbers(o.putArray("rewrite_acc"), s.rewriteAcc());
        if (!s.rephrase().isEmpty()) {
            numbers(o.putArray("rephrase_acc"), s.rephraseAcc());
        }
        if (!s.locality().isEmpty()) {
            accMap(o.putObject("locality"), s.locality());
        }
        if (!s.portability().isEmpty()) {
            accMap(o.putObject("portability"), s.portabilityAcc());
        }
        if (s.fluency() != null) {
            ObjectNode f = o.putObject("fluency");
            f.put("ngram_entropy", s.fluency().ngramEntropy());
            f.put("text", s.fluency().text());
        }
        if (s.generation() != null) {
            PhaseScores.Generation g = s.generation();
            ObjectNode gen = o.putObject("generation");
            answers(gen.putArray("rewrite"), g.rewrite());
            if (!g.rephrase().isEmpty()) {
                answers(gen.putArray("rephrase"), g.rephrase());
            }
            if (!g.locality().isEmpty()) {
                ObjectNode l = gen.putObject("locality");
                g.locality().forEach((k, v) -> answers(l.putArray(k), v));
            }
            if (!g.portability().isEmpty()) {
                ObjectNode p = gen.putObject("portability");
                g.portability().forEach((k, v) -> answers(p.putArray(k), v));
            }
        }
        protocol(o, s.protocol());
        return o;
    }

    /**
     * Writes a phase's protocol scores with EasyEdit-like keys: ConvSent's {@code es}, {@code dd}, {@code z_sent},
     * {@code z_topic} (and the two mean log-probabilities) into the phase; Sanitation's into a {@code sanitation}
     * object: {@code success} (the forget question erased), the forget answer, {@code retain_acc} and the retain
     * answers.
     */
    static void protocol(ObjectNode o, PhaseScores.ProtocolScores p) {
        if (p instanceof PhaseScores.Sentiment s) {
            o.put("es", s.es());
            putNumber(o, "dd", s.dd());
            o.put("z_sent", s.zSent());
            o.put("z_topic", s.zTopic());
            o.put("target_logprob", s.targetLogProb());
            o.put("other_logprob", s.otherLogProb());
        } else if (p instanceof PhaseScores.Erasure e) {
            ObjectNode z = o.putObject("sanitation");
            z.put("success", e.forget().score());
            erasureAnswer(z.putObject("forget"), e.forget());
            if (!e.retain().isEmpty()) {
                numbers(z.putArray("retain_acc"), e.retainScores());
                ArrayNode a = z.putArray("retain");
                e.retain().forEach(r -> erasureAnswer(a.addObject(), r));
            }
        }
    }

    private static void erasureAnswer(ObjectNode o, PhaseScores.ErasureAnswer a) {
        o.put("prompt", a.prompt()).put("answer", a.answer()).put("reference", a.reference()).put("score", a.score());
    }

    /** Reads back what {@link #protocol(ObjectNode, PhaseScores.ProtocolScores)} wrote; null if nothing. */
    static PhaseScores.ProtocolScores readProtocol(JsonNode p) {
        if (p.has("es")) {
            return new PhaseScores.Sentiment(p.get("es").asDouble(), p.path("z_sent").asDouble(), p.path("z_topic").asDouble(),
                    p.has("dd") ? p.get("dd").asDouble() : null, p.path("target_logprob").asDouble(),
                    p.path("other_logprob").asDouble());
        }
        JsonNode z = p.get("sanitation");
        if (z != null && z.isObject()) {
            List<PhaseScores.ErasureAnswer> retain = new ArrayList<>();
            z.path("retain").forEach(a -> retain.add(readErasureAnswer(a)));
            return new PhaseScores.Erasure(readErasureAnswer(z.path("forget")), retain);
        }
        return null;
    }

    private static PhaseScores.ErasureAnswer readErasureAnswer(JsonNode a) {
        return new PhaseScores.ErasureAnswer(a.path("prompt").asText(), a.path("answer").asText(),
                a.path("reference").asText(), a.path("score").asDouble());
    }

    /** @param s a summary @return {@code {cases, failed, time, pre: {...}, post: {...}}} */
    public static ObjectNode summary(Summary s) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("cases", s.cases());
        o.put("failed", s.failed());
        putNumber(o, "time", s.time());
        o.set("pre", phaseSummary(s.pre()));
        o.set("post", phaseSummary(s.post()));
        return o;
    }

    private static ObjectNode phaseSummary(Summary.PhaseSummary p) {
        ObjectNode o = MAPPER.createObjectNode();
        putNumber(o, "rewrite_acc", p.rewriteAcc());
        putNumber(o, "rephrase_acc", p.rephraseAcc());
        if (!p.locality().isEmpty()) {
            ObjectNode l = o.putObject("locality");
            p.locality().forEach((k, v) -> putNumber(l, k + "_acc", v));
        }
        if (!p.portability().isEmpty()) {
            ObjectNode l = o.putObject("portability");
            p.portability().forEach((k, v) -> putNumber(l, k + "_acc", v));
        }
        putNumber(o, "locality_mean", p.localityMean());
        putNumber(o, "portability_mean", p.portabilityMean());
        if (p.protocol() != null) {
            Summary.ProtocolSummary ps = p.protocol();
            putNumber(o, "es", ps.es());
            putNumber(o, "dd", ps.dd());
            if (ps.sanitationSuccess() != null || ps.sanitationRetain() != null) {
                ObjectNode z = o.putObject("sanitation");
                putNumber(z, "success", ps.sanitationSuccess());
                putNumber(z, "retain_acc", ps.sanitationRetain());
            }
        }
        if (p.fluency() != null) {
            putNumber(o.putObject("fluency"), "ngram_entropy", p.fluency());
        }
        if (p.generation() != null) {
            Summary.GenerationSummary g = p.generation();
            ObjectNode gen = o.putObject("generation");
            match(gen, "rewrite", g.rewrite());
            match(gen, "rephrase", g.rephrase());
            if (!g.locality().isEmpty()) {
                ObjectNode l = gen.putObject("locality");
                g.locality().forEach((k, v) -> match(l, k, v));
            }
            if (!g.portability().isEmpty()) {
                ObjectNode l = gen.putObject("portability");
                g.portability().forEach((k, v) -> match(l, k, v));
            }
        }
        return o;
    }

    /** @param r a request @return it in KnowEdit's JSON form */
    public static ObjectNode request(EditRequest r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("prompt", r.prompt());
        o.put("subject", r.subject());
        o.put("target_new", r.targetNew());
        if (r.groundTruth() != null) {
            o.put("ground_truth", r.groundTruth());
        }
        if (r.rephrasePrompts().size() == 1) {
            o.put("rephrase_prompt", r.rephrasePrompts().get(0));
        } else if (!r.rephrasePrompts().isEmpty()) {
            ArrayNode a = o.putArray("rephrase_prompt");
            r.rephrasePrompts().forEach(a::add);
        }
        probes(o, "locality", r.locality());
        probes(o, "portability", r.portability());
        if (r.protocol() instanceof EvalProtocol.Sentiment s) {
            // the answers themselves stay in the data file; a case line names their sentiment and counts
            o.putObject("sentiment").put("target", s.targetSentiment()).put("target_answers", s.target().size())
                    .put("other_answers", s.other().size()).put("next_topic_answers", s.nextTopic().size());
        } else if (r.protocol() instanceof EvalProtocol.Erasure e) {
            o.putObject("sanitation").put("max_new_tokens", e.maxNewTokens());
        }
        return o;
    }

    private static void probes(ObjectNode o, String name, Map<String, List<EditRequest.Probe>> probes) {
        if (probes.isEmpty()) {
            return;
        }
        ObjectNode m = o.putObject(name);
        probes.forEach((k, v) -> {
            ArrayNode a = m.putArray(k);
            v.forEach(p -> a.addObject().put("prompt", p.prompt()).put("ground_truth", p.groundTruth()));
        });
    }

    private static void accMap(ObjectNode o, Map<String, List<Double>> m) {
        m.forEach((k, v) -> numbers(o.putArray(k + "_acc"), v));
    }

    private static void numbers(ArrayNode a, List<Double> values) {
        values.forEach(a::add);
    }

    private static void answers(ArrayNode a, List<PhaseScores.AnswerScore> scores) {
        for (PhaseScores.AnswerScore s : scores) {
            a.addObject().put("prompt", s.prompt()).put("answer", s.answer()).put("reference", s.reference())
                    .put("exact_match", s.exactMatch()).put("f1", s.f1());
        }
    }

    private static void match(ObjectNode o, String key, Summary.Match m) {
        if (m != null) {
            o.putObject(key).put("exact_match", m.exactMatch()).put("f1", m.f1());
        }
    }

    /**
     * Reads back what a summary needs of a case record written by {@link #caseResult}.
     *
     * @param c a case record
     * @return its metrics; {@code post} null if the record has none (a failed edit)
     * @throws IllegalArgumentException if the record has no {@code pre} phase or a value of the wrong type
     */
    public static Summary.CaseMetrics readCase(JsonNode c) {
        JsonNode pre = c.get("pre");
        if (pre == null || !pre.isObject()) {
            throw new IllegalArgumentException("a case record needs a 'pre' object");
        }
        JsonNode post = c.get("post");
        JsonNode time = c.get("time");
        return new Summary.CaseMetrics(readPhase(pre), post == null || post.isNull() ? null : readPhase(post),
                time == null || !time.isNumber() ? Double.NaN : time.asDouble());
    }

    /**
     * @param p a phase written by {@link #phase}
     * @return what a summary reads of it
     */
    public static Summary.PhaseMetrics readPhase(JsonNode p) {
        Double fluency = p.path("fluency").has("ngram_entropy") ? p.get("fluency").get("ngram_entropy").asDouble() : null;
        JsonNode g = p.get("generation");
        PhaseScores.Generation gen = g == null || g.isNull() ? null : new PhaseScores.Generation(readAnswers(g.get("rewrite")),
                readAnswers(g.get("rephrase")), readAnswerMap(g.get("locality")), readAnswerMap(g.get("portability")));
        return new Summary.PhaseMetrics(readNumbers(p.get("rewrite_acc")), readNumbers(p.get("rephrase_acc")),
                readAccMap(p.get("locality")), readAccMap(p.get("portability")), fluency, gen, readProtocol(p));
    }

    private static List<Double> readNumbers(JsonNode a) {
        List<Double> out = new ArrayList<>();
        if (a == null || a.isNull()) {
            return out;
        }
        if (!a.isArray()) {
            throw new IllegalArgumentException("expected a list of numbers, got " + a);
        }
        a.forEach(v -> out.add(v.asDouble()));
        return out;
    }

    /** {@code {"<key>_acc": [...]}} to {@code {key: [...]}}. */
    private static Map<String, List<Double>> readAccMap(JsonNode o) {
        Map<String, List<Double>> out = new LinkedHashMap<>();
        if (o == null || o.isNull()) {
            return out;
        }
        o.properties().forEach(e -> {
            if (e.getValue().isArray()) {
                String k = e.getKey();
                out.put(k.endsWith("_acc") ? k.substring(0, k.length() - 4) : k, readNumbers(e.getValue()));
            }
        });
        return out;
    }

    private static List<PhaseScores.AnswerScore> readAnswers(JsonNode a) {
        List<PhaseScores.AnswerScore> out = new ArrayList<>();
        if (a == null || !a.isArray()) {
            return out;
        }
        for (JsonNode s : a) {
            out.add(new PhaseScores.AnswerScore(s.path("prompt").asText(), s.path("answer").asText(),
                    s.path("reference").asText(), s.path("exact_match").asDouble(), s.path("f1").asDouble()));
        }
        return out;
    }

    private static Map<String, List<PhaseScores.AnswerScore>> readAnswerMap(JsonNode o) {
        Map<String, List<PhaseScores.AnswerScore>> out = new LinkedHashMap<>();
        if (o != null && o.isObject()) {
            o.properties().forEach(e -> out.put(e.getKey(), readAnswers(e.getValue())));
        }
        return out;
    }

    /** Omits nulls and NaN (not valid JSON). */
    private static void putNumber(ObjectNode o, String key, Double v) {
        if (v != null && !v.isNaN()) {
            o.put(key, v);
        }
    }
}
