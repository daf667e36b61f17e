/// `{"offset":N,"epoch":"E"}`.
extension StreamPosition: JSONEncodable, JSONDecodable {
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("offset")
        writer.number(self.offset)
        writer.key("epoch")
        writer.string(self.epoch)
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("position")
        self.init(offset: try object.uint64("offset"), epoch: try object.string("epoch"))
    }
}
