extension TaskMessage {
    /// The bytes to LPUSH: byte-identical to the original for an untouched decoded message, and to
    /// what Celery/Kombu would write for a message built with `make`.
    public func encode() -> [UInt8] {
        envelope().encode()
    }

    /// The Kombu envelope for this message (body serialized and, with body_encoding base64, encoded).
    public func envelope() -> KombuEnvelope {
        KombuEnvelope(body: bodyJSON().serialized(), contentType: contentType, contentEncoding: contentEncoding,
                      headers: headersJSON(), properties: propertiesJSON(), extraFields: extraEnvelopeFields)
    }

    /// The protocol v2 body `[args, kwargs, embed]`.
    public func bodyJSON() -> JSONValue {
        .array([.array(args), .object(kwargs), embed.json])
    }

    /// The headers object, in the decoded message's order (or Celery's for built messages).
    public func headersJSON() -> JSONObject {
        headerLayout.assemble(names: Self.headerNames, extras: extraHeaders) { n, inLayout in
            func nullable(_ s: String?) -> JSONValue? { s.map(JSONValue.string) ?? (inLayout ? .null : nil) }
            switch n {
            case 0: return nullable(lang)
            case 1: return .string(task)
            case 2: return .string(id)
            case 3: return nullable(shadow)
            case 4: return nullable(eta)
            case 5: return nullable(expires)
            case 6: return nullable(group)
            case 7: return groupIndex.map { .int(Int64($0)) } ?? (inLayout ? .null : nil)
            case 8: return inLayout || retries != 0 ? .int(Int64(retries)) : nil
            case 9: return inLayout || !timeLimit.isUnlimited ? timeLimit.json : nil
            case 10: return nullable(rootID)
            case 11: return nullable(parentID)
            case 12: return nullable(argsrepr)
            case 13: return nullable(kwargsrepr)
            case 14: return nullable(origin)
            case 15: return ignoreResult.map(JSONValue.bool) ?? (inLayout ? .null : nil)
            case 16: return inLayout || replacedTaskNesting != 0 ? .int(Int64(replacedTaskNesting)) : nil
            case 17: return stampedHeaders.map { .array($0.map(JSONValue.string)) } ?? (inLayout ? .null : nil)
            case 18: return stamps.map(JSONValue.object) ?? (inLayout ? .null : nil)
            default: return redelivered.map(JSONValue.bool)
            }
        }
    }

    /// The properties object, in the decoded message's order (or Kombu's for built messages).
    public func propertiesJSON() -> JSONObject {
        propertyLayout.assemble(names: Self.propertyNames, extras: extraProperties) { n, inLayout in
            func nullable(_ s: String?) -> JSONValue? { s.map(JSONValue.string) ?? (inLayout ? .null : nil) }
            switch n {
            case 0: return nullable(correlationID)
            case 1: return nullable(replyTo)
            case 2: return deliveryMode.map { .int(Int64($0)) } ?? (inLayout ? .null : nil)
            case 3: return deliveryInfo.map(\.json) ?? (inLayout ? .null : nil)
            case 4: return priority.map { .int(Int64($0)) } ?? (inLayout ? .null : nil)
            case 5: return nullable(bodyEncoding)
            default: return nullable(deliveryTag)
            }
        }
    }
}
