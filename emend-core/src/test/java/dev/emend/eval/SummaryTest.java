package dev.emend.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.edit.EditRequest;
import dev.emend.eval.PhaseScores.TokenMatch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** EasyEdit's summary means and the KnowEdit means over keys on hand-made cases; the JSON key names. */
class SummaryTest {
    /** A pass over m target tokens of which the first {@code hits} are predicted right. */
    static TokenMatch match(int hits, int m) {
        int[] labels = new int[m];
        int[] predicted = new int[m];
        for (int i = 0; i < m; i++) {
            labels[i] = 10 + i;
            predicted[i] = i < hits ? 10 + i : 99;
        }
        return new TokenMatch("p", "t", labels, predicted);
    }

    static final EditRequest REQUEST = EditRequest.of("Bouvmere is a city in", "Bouvmere", "Vietnam");

    static CaseResult result(int id, PhaseScores pre, PhaseScores post) {
        return new CaseResult(id, REQUEST, pre, post, 0.5 * (id + 1), null);
    }

    static Map<String, List<Double>> locality(Object... keyAndValues) {
        Map<String, List<Double>> m = new LinkedHashMap<>();
        for (int i = 0; i < keyAndValues.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<Double> v = (List<Double>) keyAndValues[i + 1];
            m.put((String) keyAndValues[i], v);
        }
        return m;
    }

    static final List<CaseResult> CASES = List.of(
            // case 0: rewrite 1/2 -> 1; rephrase 0 -> 2/3; locality K1 [1, 0.5], K2 [0]; portability P [1/4 -> 3/4]
            result(0, new PhaseScores(List.of(match(1, 2)), List.of(match(0, 3)), Map.of(),
                            Map.of("P", List.of(match(1, 4))), null, null),
                    new PhaseScores(List.of(match(2, 2)), List.of(match(2, 3)), locality("K1", List.of(1.0, 0.5), "K2", List.of(0.0)),
                            Map.of("P", List.of(match(3, 4))), new PhaseScores.Fluency(5.0, "x"), null)),
            // case 1: rewrite 0 -> 1/2; no rephrase; locality K1 [1]; no portability
            result(1, new PhaseScores(List.of(match(0, 2)), List.of(), Map.of(), Map.of(), null, null),
                    new PhaseScores(List.of(match(1, 2)), List.of(), locality("K1", List.of(1.0)), Map.of(),
                            new PhaseScores.Fluency(7.0, "y"), null)));

    @Test
    void meansFollowEasyEditAndKnowEdit() {
        Summary s = Summary.of(CASES);
        assertThat(s.cases()).isEqualTo(2);
        assertThat(s.failed()).isZero();
        assertThat(s.time()).isCloseTo(0.75, within(1e-12));
        assertThat(s.pre().rewriteAcc()).isCloseTo(0.25, within(1e-12));           // (1/2 + 0) / 2
        assertThat(s.post().rewriteAcc()).isCloseTo(0.75, within(1e-12));          // (1 + 1/2) / 2
        assertThat(s.pre().rephraseAcc()).isCloseTo(0.0, within(1e-12));           // only case 0 has one
        assertThat(s.post().rephraseAcc()).isCloseTo(2.0 / 3, within(1e-12));
        // per key: mean over cases with the key of the case's probe mean
        assertThat(s.post().locality().get("K1")).isCloseTo((0.75 + 1.0) / 2, within(1e-12));
        assertThat(s.post().locality().get("K2")).isCloseTo(0.0, within(1e-12));
        // KnowEdit: case 0 -> mean(K1 0.75, K2 0) = 0.375; case 1 -> 1; mean 0.6875
        assertThat(s.post().localityMean()).isCloseTo(0.6875, within(1e-12));
        assertThat(s.pre().locality()).isEmpty();
        assertThat(s.pre().localityMean()).isNull();
        assertThat(s.pre().portability().get("P")).isCloseTo(0.25, within(1e-12));
        assertThat(s.post().portability().get("P")).isCloseTo(0.75, within(1e-12));
        assertThat(s.post().portabilityMean()).isCloseTo(0.75, within(1e-12));     // case 1 has no portability
        assertThat(s.post().fluency()).isCloseTo(6.0, within(1e-12));
        assertThat(s.pre().fluency()).isNull();
    }

    @Test
    void jsonUsesEasyEditKeyNames() throws Exception {
        EvalReport report = new EvalReport("ROME", EditBenchmark.Mode.SINGLE, EvalOptions.defaults(), CASES, Summary.of(CASES));
        JsonNode json = new ObjectMapper().readTree(report.toJson().toString());
        JsonNode c = json.get("cases").get(0);
        assertThat(c.get("case_id").asInt()).isZero();
        assertThat(c.get("requested_rewrite").get("target_new").asText()).isEqualTo("Vietnam");
        assertThat(c.get("pre").get("rewrite_acc").get(0).asDouble()).isEqualTo(0.5);
        assertThat(c.get("pre").has("locality")).isFalse();
        assertThat(c.get("post").get("locality").get("K1_acc").get(1).asDouble()).isEqualTo(0.5);
        assertThat(c.get("post").get("portability").get("P_acc").get(0).asDouble()).isEqualTo(0.75);
        assertThat(c.get("post").get("fluency").get("ngram_entropy").asDouble()).isEqualTo(5.0);
        assertThat(json.get("cases").get(1).get("post").has("rephrase_acc")).isFalse();
        JsonNode post = json.get("summary").get("post");
        assertThat(post.get("rewrite_acc").asDouble()).isEqualTo(0.75);
        assertThat(post.get("locality").get("K1_acc").asDouble()).isEqualTo(0.875);
        assertThat(post.get("locality_mean").asDouble()).isEqualTo(0.6875);
        assertThat(json.get("summary").get("pre").has("locality_mean")).isFalse();
        assertThat(EditRequest.fromJson(c.get("requested_rewrite"))).isEqualTo(REQUEST);
    }

    @Test
    void failedCasesCarryTheirErrorAndNoPost() throws Exception {
        CaseResult failed = new CaseResult(2, REQUEST, CASES.get(0).pre(), null, Double.NaN, "singular");
        JsonNode j = new ObjectMapper().readTree(EvalJson.caseResult(failed).toString());
        assertThat(j.get("error").asText()).isEqualTo("singular");
        assertThat(j.has("post")).isFalse();
        assertThat(j.has("time")).isFalse();
    }

    @Test
    void aSummaryOfCasesReadBackFromJsonEqualsTheOriginal() throws Exception {
        PhaseScores.AnswerScore a = new PhaseScores.AnswerScore("p", "Hanoi", "Vietnam", 0, 0);
        PhaseScores.Generation gen = new PhaseScores.Generation(List.of(a), List.of(), Map.of("K1", List.of(a)), Map.of());
        CaseResult withGeneration = new CaseResult(2, REQUEST,
                new PhaseScores(List.of(match(0, 2)), List.of(), Map.of(), Map.of(), null, gen),
                new PhaseScores(List.of(match(2, 2)), List.of(), locality("K1", List.of(1.0)), Map.of(), null, gen), 0.25, null);
        CaseResult failed = new CaseResult(3, REQUEST, CASES.get(0).pre(), null, Double.NaN, "singular");
        List<CaseResult> all = List.of(CASES.get(0), CASES.get(1), withGeneration, failed);
        ObjectMapper json = new ObjectMapper();
        List<Summary.CaseMetrics> read = new java.util.ArrayList<>();
        for (CaseResult c : all) {
            read.add(EvalJson.readCase(json.readTree(EvalJson.caseResult(c).toString())));
        }
        assertThat(read.get(3).failed()).isTrue();
        assertThat(Summary.ofMetrics(read)).isEqualTo(Summary.of(all));
        assertThat(EvalJson.summary(Summary.ofMetrics(read))).isEqualTo(EvalJson.summary(Summary.of(all)));
    }

    @Test
    void protocolMeansAndTheirJsonRoundTrip() {
        PhaseScores.ErasureAnswer forgot = new PhaseScores.ErasureAnswer("q", "I don't know.", "I don't know.", 1);
        PhaseScores.ErasureAnswer kept = new PhaseScores.ErasureAnswer("q", "Cheese", "I don't know.", 0);
        List<CaseResult> cases = List.of(
                // ConvSent: es 0.6 and 0.2 -> 0.4; dd 0.5 and 1.5 -> 1.0
                result(0, phase(new PhaseScores.Sentiment(0.5, 0.5, 1, null, -2, -2)),
                        phase(new PhaseScores.Sentiment(0.6, 0.6, 1, 0.5, -1, -1.4))),
                result(1, phase(new PhaseScores.Sentiment(0.5, 0.5, 1, null, -2, -2)),
                        phase(new PhaseScores.Sentiment(0.2, 0.4, 0.5, 1.5, -3, -2.6))),
                // Sanitation: success 1 and 0 -> 0.5; retain [1, 0, 0.5] and [1] pooled over questions -> 2.5/4
                result(2, phase(new PhaseScores.Erasure(kept, List.of())), phase(new PhaseScores.Erasure(forgot,
                        List.of(answer(1), answer(0), answer(0.5))))),
                result(3, phase(new PhaseScores.Erasure(kept, List.of())), phase(new PhaseScores.Erasure(kept, List.of(answer(1))))));
        Summary s = Summary.of(cases);
        Summary.ProtocolSummary post = s.post().protocol();
        assertThat(post.es()).isCloseTo(0.4, within(1e-12));
        assertThat(post.dd()).isCloseTo(1.0, within(1e-12));
        assertThat(post.sanitationSuccess()).isEqualTo(0.5);
        assertThat(post.sanitationRetain()).isEqualTo(2.5 / 4);
        assertThat(s.pre().protocol().es()).isEqualTo(0.5);
        assertThat(s.pre().protocol().dd()).as("no dd before the edit").isNull();
        assertThat(s.pre().protocol().sanitationRetain()).isNull();
        // what a resumed run reads back from the case lines gives the same summary
        Summary again = Summary.ofMetrics(cases.stream().map(c -> EvalJson.readCase(EvalJson.caseResult(c))).toList());
        assertThat(again.post().protocol()).isEqualTo(post);
        JsonNode json = EvalJson.summary(s).get("post");
        assertThat(json.get("es").asDouble()).isCloseTo(0.4, within(1e-12));
        assertThat(json.get("dd").asDouble()).isCloseTo(1.0, within(1e-12));
        assertThat(json.get("sanitation").get("retain_acc").asDouble()).isEqualTo(0.625);
        JsonNode caseJson = EvalJson.caseResult(cases.get(0)).get("post");
        assertThat(caseJson.get("es").asDouble()).isEqualTo(0.6);
        assertThat(caseJson.get("dd").asDouble()).isEqualTo(0.5);
        assertThat(EvalJson.caseResult(cases.get(0)).get("pre").has("dd")).isFalse();
    }

    static PhaseScores phase(PhaseScores.ProtocolScores p) {
        return new PhaseScores(List.of(match(1, 2)), List.of(), Map.of(), Map.of(), null, null, p);
    }

    static PhaseScores.ErasureAnswer answer(double score) {
        return new PhaseScores.ErasureAnswer("r", "a", "b", score);
    }
}
