// Parley: starts swagger-ui on /api/docs from the binary's own OpenAPI document.
// An external file because the Content-Security-Policy forbids inline script.
window.addEventListener("load", function () {
  window.SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
