package simplejwt

// metadata is what each view answers to OPTIONS: DRF's SimpleMetadata, as
// recorded from the reference (register and users are function views, so
// they list no actions).
var metadata = [viewCount][]byte{
	ObtainPair: []byte(`{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}`),
	Refresh:    []byte(`{"name":"Token Refresh","description":"Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"}}}}`),
	Verify:     []byte(`{"name":"Token Verify","description":"Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"token":{"type":"string","required":true,"read_only":false,"label":"Token"}}}}`),
	Blacklist:  []byte(`{"name":"Token Blacklist","description":"Takes a token and blacklists it. Must be used with the\n` + "`rest_framework_simplejwt.token_blacklist`" + ` app installed.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"}}}}`),
	Register:   []byte(`{"name":"Registration View","description":"","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`),
	Users:      []byte(`{"name":"User List View","description":"","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`),
	LogoutAll:  []byte(`{"name":"Logout All","description":"Ends every token of the authenticated user issued before now.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`),
	Sessions:   []byte(`{"name":"Sessions","description":"Lists the authenticated user's live sessions; DELETE <id>/ ends one.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`),
}
