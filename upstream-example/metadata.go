package main

// DRF's SimpleMetadata answers OPTIONS with the view's name and docstring,
// the renderers and parsers, and, when the user may POST or PUT there, the
// serializer's fields under "actions". These are the reference's answers.

const (
	metaRenderParse = `"renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]`

	reviewFieldsMeta = `{"id":{"type":"integer","required":false,"read_only":true,"label":"ID"},` +
		`"reviewer_name":{"type":"field","required":false,"read_only":true,"label":"Reviewer name"},` +
		`"rating":{"type":"integer","required":true,"read_only":false,"label":"Rating","min_value":1,"max_value":5},` +
		`"description":{"type":"string","required":false,"read_only":false,"label":"Description","max_length":200},` +
		`"active":{"type":"boolean","required":false,"read_only":false,"label":"Active"},` +
		`"created":{"type":"datetime","required":false,"read_only":true,"label":"Created"},` +
		`"update":{"type":"datetime","required":false,"read_only":true,"label":"Update"}}`

	movieFieldsMeta = `{"id":{"type":"integer","required":false,"read_only":true,"label":"ID"},` +
		`"title":{"type":"string","required":true,"read_only":false,"label":"Title","max_length":100},` +
		`"storyline":{"type":"string","required":true,"read_only":false,"label":"Storyline","max_length":500},` +
		`"active":{"type":"boolean","required":false,"read_only":false,"label":"Active"},` +
		`"avg_rating":{"type":"float","required":false,"read_only":true,"label":"Avg rating"},` +
		`"number_rating":{"type":"integer","required":false,"read_only":true,"label":"Number rating"},` +
		`"reviews":{"type":"field","required":false,"read_only":true,"label":"Reviews","child":` +
		`{"type":"nested object","required":false,"read_only":true,"children":` + reviewFieldsMeta + `}}}`
)

// metadata is the OPTIONS body of a view; action is "POST" or "PUT" when the
// user may use it (then its fields are listed), else "".
func metadata(v view, action string) []byte {
	b := `{"name":"` + v.name + `","description":"` + v.description + `",` + metaRenderParse
	if action != "" {
		fields := movieFieldsMeta
		if v.reviewFields {
			fields = reviewFieldsMeta
		}
		b += `,"actions":{"` + action + `":` + fields + `}`
	}
	return []byte(b + "}")
}
