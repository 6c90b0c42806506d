/**
 * Knowledge-editing data sets read from local files into {@link dev.emend.edit.EditRequest}s (design.md §3.2: the
 * {@code data} package never touches the network).
 *
 * <p>{@link dev.emend.data.DatasetReader} reads a file in one of the {@link dev.emend.data.DataFormat}s (KnowEdit's
 * six data sets, EasyEdit's CounterFact, the MEND zsRE split and ROME's CounterFact; easyedit-reference §3), found
 * by content or named explicitly, and returns a {@link dev.emend.data.Dataset}: the requests, which file record each
 * came from, and the records it skipped and why. Records that lack a required field, whose subject does not occur in
 * the prompt or whose target is empty are skipped and counted (EasyEdit asserts instead, issue #495); records of the
 * wrong shape stop the read with a {@link dev.emend.data.DatasetException} naming the record.
 */
package dev.emend.data;
