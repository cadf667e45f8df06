package io.genorch.common.domain;

/** A validation failure naming the request field at fault (rendered as 400 invalid_request). */
public record FieldError(String field, String message) {}
