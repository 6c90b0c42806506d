package dev.emend.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.eval.PhaseScores.TokenMatch;
import dev.emend.eval.metrics.SentimentMetric;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The full pre-edit measurement of a case as JSON, token ids included, so that a cached pre-edit pass gives the post
 * pass exactly what a fresh one would (EasyEdit's {@code pre_file}). Unlike {@link EvalJson}'s records this is lossless.
 */
final class PreEditJson {
    private PreEditJson() {}

    static ObjectNode write(EditEvaluator.PreEdit p) {
        ObjectNode o = EvalJson.MAPPER.createObjectNode();
        PhaseScores s = p.scores();
        matches(o.putArray("rewrite"), s.rewrite());
        matches(o.putArray("rephrase"), s.rephrase());
        ObjectNode port = o.putObject("portability");
        s.portability().forEach((k, v) -> matches(port.putArray(k), v));
        if (s.fluency() != null) {
            o.putObject("fluency").put("ngram_entropy", s.fluency().ngramEntropy()).put("text", s.fluency().text());
        }
        if (s.generation() != null) {
            o.set("generation", EvalJson.phase(new PhaseScores(List.of(), List.of(), Map.of(), Map.of(), null, s.generation()))
                    .get("generation"));
        }
        ObjectNode outputs = o.putObject("locality_outputs");
        p.localityOutputs().forEach((k, v) -> {
            ArrayNode a = outputs.putArray(k);
            v.forEach(ids -> ints(a.addArray(), ids));
        });
        ObjectNode answers = o.putObject("locality_answers");
        p.localityAnswers().forEach((k, v) -> {
            ArrayNode a = answers.putArray(k);
            v.forEach(a::add);
        });
        if (s.protocol() != null) {
            EvalJson.protocol(o.putObject("protocol"), s.protocol());
        }
        if (p.protocol() instanceof EditEvaluator.SentimentReference r) {
            ObjectNode ref = o.putObject("sentiment_reference");
            ref.put("target_logprob", r.targetLogProb());
            ArrayNode answersOut = ref.putArray("next_topic");
            for (List<SentimentMetric.Sketch> positions : r.nextTopic()) {
                ArrayNode pa = answersOut.addArray();
                for (SentimentMetric.Sketch k : positions) {
                    ObjectNode so = pa.addObject().put("vocab", k.vocab()).put("tail", k.tailMass());
                    ints(so.putArray("ids"), k.ids());
                    ArrayNode lp = so.putArray("logprobs");
                    for (float f : k.logProbs()) {
                        lp.add(f);                                          // Float.toString: exact round trip
                    }
                }
            }
        } else if (p.protocol() instanceof EditEvaluator.ErasureReference r) {
            ObjectNode ref = o.putObject("erasure_reference");
            ArrayNode ids = ref.putArray("retain_ids");
            r.retainIds().forEach(v -> ints(ids.addArray(), v));
            ArrayNode texts = ref.putArray("retain_texts");
            r.retainTexts().forEach(texts::add);
        }
        return o;
    }

    static EditEvaluator.PreEdit read(JsonNode o) {
        Map<String, List<TokenMatch>> portability = new LinkedHashMap<>();
        o.path("portability").properties().forEach(e -> portability.put(e.getKey(), matches(e.getValue())));
        PhaseScores.Fluency fluency = o.has("fluency")
                ? new PhaseScores.Fluency(o.get("fluency").get("ngram_entropy").asDouble(), o.get("fluency").get("text").asText())
                : null;
        PhaseScores.Generation generation = null;
        if (o.has("generation")) {
            ObjectNode wrapper = EvalJson.MAPPER.createObjectNode();
            wrapper.putArray("rewrite_acc");
            wrapper.set("generation", o.get("generation"));
            generation = EvalJson.readPhase(wrapper).generation();
        }
        PhaseScores scores = new PhaseScores(matches(o.path("rewrite")), matches(o.path("rephrase")), Map.of(), portability,
                fluency, generation, o.has("protocol") ? EvalJson.readProtocol(o.get("protocol")) : null);
        Map<String, List<int[]>> outputs = new LinkedHashMap<>();
        o.path("locality_outputs").properties().forEach(e -> {
            List<int[]> l = new ArrayList<>();
            e.getValue().forEach(a -> l.add(ints(a)));
            outputs.put(e.getKey(), l);
        });
        Map<String, List<String>> answers = new LinkedHashMap<>();
        o.path("locality_answers").properties().forEach(e -> {
            List<String> l = new ArrayList<>();
            e.getValue().forEach(a -> l.add(a.asText()));
            answers.put(e.getKey(), l);
        });
        EditEvaluator.ProtocolReference reference = null;
        if (o.has("sentiment_reference")) {
            JsonNode ref = o.get("sentiment_reference");
            List<List<SentimentMetric.Sketch>> next = new ArrayList<>();
            for (JsonNode pa : ref.path("next_topic")) {
                List<SentimentMetric.Sketch> positions = new ArrayList<>();
                for (JsonNode so : pa) {
                    JsonNode lp = so.get("logprobs");
                    float[] v = new float[lp.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) lp.get(i).asDouble();
                    }
                    positions.add(new SentimentMetric.Sketch(so.get("vocab").asInt(), ints(so.get("ids")), v,
                            so.get("tail").asDouble()));
                }
                next.add(positions);
            }
            reference = new EditEvaluator.SentimentReference(ref.get("target_logprob").asDouble(), next);
        } else if (o.has("erasure_reference")) {
            JsonNode ref = o.get("erasure_reference");
            List<int[]> ids = new ArrayList<>();
            ref.path("retain_ids").forEach(a -> ids.add(ints(a)));
            List<String> texts = new ArrayList<>();
            ref.path("retain_texts").forEach(t -> texts.add(t.asText()));
            reference = new EditEvaluator.ErasureReference(ids, texts);
        }
        return new EditEvaluator.PreEdit(scores, outputs, answers, reference);
    }

    private static void matches(ArrayNode a, List<TokenMatch> ms) {
        for (TokenMatch m : ms) {
            ObjectNode t = a.addObject().put("prompt", m.prompt()).put("target", m.target());
            ints(t.putArray("labels"), m.labels());
            ints(t.putArray("predicted"), m.predicted());
        }
    }

    private static List<TokenMatch> matches(JsonNode a) {
        List<TokenMatch> out = new ArrayList<>();
        a.forEach(t -> out.add(new TokenMatch(t.get("prompt").asText(), t.get("target").asText(), ints(t.get("labels")),
                ints(t.get("predicted")))));
        return out;
    }

    private static void ints(ArrayNode a, int[] v) {
        for (int x : v) {
            a.add(x);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }
}
